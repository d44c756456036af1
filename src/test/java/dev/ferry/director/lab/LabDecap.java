package dev.ferry.director.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * {@code ferry decap} run as its own process inside a real server's namespace of the TUNNEL topology (the test's
 * class path), the way an operator runs it on a real server whose kernel has no IPIP: it holds the VIP on its TUN
 * device for as long as it runs.
 */
final class LabDecap implements AutoCloseable {
    private final Process process;
    private final Path log;

    private LabDecap(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code ferry decap --vip VIP --from DIRECTOR} in {@code role}'s namespace; waits for the VIP there. */
    static LabDecap start(NetnsLab lab, String role, Path dir) throws IOException {
        Path log = dir.resolve("decap-" + role + ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = lab.start(role, log, java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "dev.ferry.Ferry", "decap", "--vip", NetnsLab.TUNNEL_VIP,
                "--from", NetnsLab.TUNNEL_DIRECTOR);
        LabDecap d = new LabDecap(p, log);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("ferry decap exited " + p.exitValue() + ":\n" + d.log());
                }
                return d.log().contains("ferry decap") && lab.exec(role, 10, "ip", "-4", "addr", "show", "dev",
                        "ferry-decap").output().contains(NetnsLab.TUNNEL_VIP + "/32");
            });
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, and its last words (the counts) in the log. */
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
