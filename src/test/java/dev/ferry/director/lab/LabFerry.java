package dev.ferry.director.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Ferry run as its own process inside the lab's director namespace ({@code ip netns exec ... java ...}, the test's
 * class path), with its admin API on the namespace's loopback, reached with curl from inside the namespace.
 */
final class LabFerry implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "http://127.0.0.1:9090";

    private final NetnsLab lab;
    /** The namespace's role it runs in: dir, or dir2 of the pair topology. */
    private final String role;
    private final Path config;
    private final Path log;
    private final Process process;

    private LabFerry(NetnsLab lab, String role, Path config, Path log, Process process) {
        this.lab = lab;
        this.role = role;
        this.config = config;
        this.log = log;
        this.process = process;
    }

    /** Starts Ferry on {@code yaml} (an admin section on 127.0.0.1:9090 is added) and waits for its director. */
    static LabFerry start(NetnsLab lab, Path dir, String yaml) throws IOException {
        return start(lab, "dir", dir, yaml);
    }

    /** As {@link #start(NetnsLab, Path, String)}, in the namespace of {@code role}. */
    static LabFerry start(NetnsLab lab, String role, Path dir, String yaml) throws IOException {
        Path config = dir.resolve("ferry.yaml");
        Files.writeString(config, "admin: { listen: 127.0.0.1:9090 }\n" + yaml);
        Path log = dir.resolve("ferry.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.ferry.Ferry", "run", "-c", config.toString()));
        LabFerry f = new LabFerry(lab, role, config, log, lab.start(role, log, command.toArray(String[]::new)));
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!f.process.isAlive()) {
                    throw new IllegalStateException("ferry exited " + f.process.exitValue() + ":\n" + f.log());
                }
                return f.directorsOrNull() != null;
            });
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
        return f;
    }

    private JsonNode directorsOrNull() throws IOException, InterruptedException {
        NetnsLab.Result r = lab.exec(role, 10, "curl", "-sf", ADMIN + "/api/v1/directors");
        return r.exit() == 0 ? JSON.readTree(r.output()) : null;
    }

    /** GET {@code path} of the admin API, as JSON. */
    JsonNode get(String path) throws IOException, InterruptedException {
        NetnsLab.Result r = lab.exec(role, 10, "curl", "-sS", ADMIN + path);
        if (r.exit() != 0) {
            throw new IllegalStateException("GET " + path + " failed: " + r.output() + "\n" + log());
        }
        return JSON.readTree(r.output());
    }

    /** The first director of {@code GET /api/v1/directors}. */
    JsonNode director() throws IOException, InterruptedException {
        return get("/api/v1/directors").path("directors").path(0);
    }

    /** The prometheus text of {@code /metrics}. */
    String metrics() throws IOException, InterruptedException {
        return lab.exec(role, 10, "curl", "-sS", ADMIN + "/metrics").output();
    }

    /** Writes {@code yaml} as the new configuration and reloads it through the admin API. */
    JsonNode reload(String yaml) throws IOException, InterruptedException {
        Files.writeString(config, "admin: { listen: 127.0.0.1:9090 }\n" + yaml);
        NetnsLab.Result r = lab.exec(role, 30, "curl", "-sS", "-X", "POST", ADMIN + "/api/v1/reload");
        return JSON.readTree(r.output());
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.toHandle().destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
