package dev.ferry.director.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The multi-instance lab of {@code scripts/cluster-lab} (issue 21): a client, a router with an ECMP route to the
 * VIPs over three instance namespaces f1..f3, and three real servers rs1..rs3 on one LAN; built under a name unique
 * to this run ({@code net-up}), removed by {@link #close()}. The test starts the real servers and the Ferry
 * instances itself; every command runs with a deadline.
 */
final class ClusterLab implements AutoCloseable {
    static final String PROXY_VIP = "10.200.0.100";
    static final String DIRECTOR_VIP = "10.200.0.101";
    private static final Path SCRIPT = Path.of("scripts/cluster-lab").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final List<Process> instances = new ArrayList<>(List.of());

    private ClusterLab(String id) {
        this.id = id;
    }

    static ClusterLab up() throws IOException, InterruptedException {
        String id = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
        ClusterLab lab = new ClusterLab(id);
        NetnsLab.Result r = NetnsLab.run(60, SCRIPT.toString(), "net-up", id);
        if (r.exit() != 0) {
            lab.close();
            throw new IllegalStateException("cluster-lab net-up failed: " + r.output());
        }
        return lab;
    }

    String ns(String role) {
        return "cl" + id + "-" + role;
    }

    /** Instance {@code n}'s address on the LAN (where its proxied connections come from). */
    static String instance(int n) {
        return "10.102.0.1" + n;
    }

    static String realServer(int n) {
        return "10.102.0.2" + n;
    }

    NetnsLab.Result exec(String role, int seconds, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        c.addAll(List.of(command));
        return NetnsLab.run(seconds, c.toArray(String[]::new));
    }

    /** The router's ECMP route to both VIPs over instances {@code n...} (an instance withdrawn, as by BGP). */
    void route(int... n) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(SCRIPT.toString(), "route", id));
        for (int i : n) {
            c.add(Integer.toString(i));
        }
        NetnsLab.Result r = NetnsLab.run(30, c.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new IllegalStateException("cluster-lab route failed: " + r.output());
        }
    }

    /**
     * Starts Ferry in instance {@code n}'s namespace on {@code yaml} (the shared configuration; an admin section on
     * the namespace's 127.0.0.1:9090 is added) and waits until its director answers and every server is up there.
     */
    Process startInstance(int n, Path dir, String yaml) throws IOException {
        Path config = dir.resolve("f" + n + ".yaml");
        Files.writeString(config, "admin: { listen: 127.0.0.1:9090 }\n" + yaml);
        Path log = dir.resolve("f" + n + ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder("ip", "netns", "exec", ns("f" + n), java, "-Xmx192m", "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.ferry.Ferry",
                "run", "-c", config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        instances.add(p);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("f" + n + " exited " + p.exitValue() + ":\n" + Files.readString(log));
            }
            JsonNode status = get(n, "/api/v1/status");
            if (status == null || get(n, "/api/v1/directors") == null) {
                return false;
            }
            for (JsonNode b : status.path("backends")) {
                for (JsonNode s : b.path("servers")) {
                    if (!"up".equals(s.path("state").asText())) {
                        return false;
                    }
                }
            }
            return true;
        });
        return p;
    }

    /** GET {@code path} of instance {@code n}'s admin API as JSON; null when it does not answer. */
    JsonNode get(int n, String path) throws IOException, InterruptedException {
        NetnsLab.Result r = exec("f" + n, 10, "curl", "-sf", "--max-time", "5", "http://127.0.0.1:9090" + path);
        return r.exit() == 0 ? JSON.readTree(r.output()) : null;
    }

    /** Ends a Ferry process as a stop would (SIGTERM), then for sure. */
    static void stop(Process p) throws InterruptedException {
        p.toHandle().descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : instances) {
            stop(p);
        }
        NetnsLab.run(60, SCRIPT.toString(), "down", id);
    }
}
