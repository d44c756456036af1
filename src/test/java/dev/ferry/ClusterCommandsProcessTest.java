package dev.ferry;

import dev.ferry.testing.EtcdServer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 21 items 3-4 as a user meets them: {@code ferry config push/get}, {@code ferry cluster status},
 * {@code ferry validate} and {@code ferry run} with a local file, each a real process against a real etcd; the
 * compare-and-swap refusal, the exit codes (0 ok, 1 refused, 2 etcd unreachable) and a killed instance leaving
 * the member list when its lease expires.
 */
class ClusterCommandsProcessTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private EtcdServer etcd;
    private TestServer a;
    private Path local;
    private final List<Process> processes = new ArrayList<>();

    /** A finished command: exit code and output. */
    private record Run(int code, String out, String err) {
    }

    @BeforeEach
    void setUp() throws Exception {
        etcd = EtcdServer.start(dir);
        a = TestServer.naming("a");
        local = dir.resolve("local.yaml");
        Files.writeString(local, """
                instance: edge-1
                admin: { listen: 127.0.0.1:0 }
                config_source:
                  etcd: { endpoints: ["%s"], prefix: /cli/, dial_timeout: 1s, lease_ttl: 3s }
                """.formatted(etcd.endpoint()));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        a.close();
        etcd.close();
    }

    private Process start(List<String> out, List<String> err, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.ferry.Ferry"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        processes.add(p);
        pump(p.getInputStream(), out);
        pump(p.getErrorStream(), err);
        return p;
    }

    private Run ferry(String... args) throws Exception {
        List<String> out = new CopyOnWriteArrayList<>();
        List<String> err = new CopyOnWriteArrayList<>();
        Process p = start(out, err, args);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ferry %s ends", String.join(" ", args)).isTrue();
        // the pumps finish once the pipes close
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(50)).until(() -> true);
        return new Run(p.exitValue(), String.join("\n", out), String.join("\n", err));
    }

    private static void pump(java.io.InputStream in, List<String> lines) {
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Path shared(String name, int port, String scheduler) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, """
                frontends:
                  - { name: front, listen: 127.0.0.1:%d, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: %s
                    servers:
                      - { name: a, address: %s }
                """.formatted(port, scheduler, a.address()));
        return file;
    }

    private static String through(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void pushGetStatusAndACompareAndSwapConflict() throws Exception {
        Run validate = ferry("validate", "-c", local.toString());
        assertThat(validate.code()).as(validate.err()).isZero();
        assertThat(validate.out()).contains("instance edge-1", "/cli/config", "etcd");

        Run missing = ferry("config", "get", "-c", local.toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("/cli/config is not set");

        int port = freePort();
        Run bad = ferry("config", "push", "-c", local.toString(), shared("bad.yaml", port, "wrong").toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("bad.yaml:", "scheduler", "nothing was written");
        assertThat(ferry("config", "get", "-c", local.toString()).code()).isEqualTo(1);

        Run push = ferry("config", "push", "-c", local.toString(), shared("good.yaml", port, "rr").toString());
        assertThat(push.code()).as(push.err()).isZero();
        assertThat(push.out()).contains("pushed to /cli/config at revision");
        Run get = ferry("config", "get", "-c", local.toString());
        assertThat(get.code()).isZero();
        assertThat(get.out()).startsWith("# /cli/config revision ").contains("scheduler: rr");
        long revision = Long.parseLong(get.out().lines().findFirst().orElseThrow().replaceAll("\\D", ""));

        // someone else changes it; a push made against the revision we got is refused, naming the new one
        Run other = ferry("config", "push", "-c", local.toString(), shared("other.yaml", port, "wrr").toString());
        assertThat(other.code()).as(other.err()).isZero();
        Run stale = ferry("config", "push", "-c", local.toString(), "--revision", Long.toString(revision),
                shared("mine.yaml", port, "lc").toString());
        assertThat(stale.code()).isEqualTo(1);
        assertThat(stale.err()).contains("changed by someone else at revision", "ferry config get", "retry");
        assertThat(ferry("config", "get", "-c", local.toString()).out()).contains("scheduler: wrr");

        // an instance runs it, registers, and shows in cluster status with the revision it applied
        List<String> out = new CopyOnWriteArrayList<>();
        List<String> err = new CopyOnWriteArrayList<>();
        Process run = start(out, err, "run", "-c", local.toString(), "--threads", "1");
        await().atMost(PATIENCE).ignoreExceptions().until(() -> through(port).equals("a"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            Run status = ferry("cluster", "status", "-c", local.toString());
            assertThat(status.code()).isZero();
            assertThat(status.out()).contains("INSTANCE", "edge-1", "127.0.0.1:", "applied");
        });
        Run status = ferry("cluster", "status", "-c", local.toString());
        System.out.println(status.out());
        // the instance's own admin API (its address from the member key) says the same
        String admin = status.out().lines().filter(l -> l.startsWith("edge-1")).findFirst().orElseThrow()
                .split("\\s+")[1];
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            String report = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://" + admin + "/api/v1/status")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(report).contains("\"cluster\":{\"instance\":\"edge-1\",\"etcd_reachable\":true",
                    "\"result\":\"applied\"");
            String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://" + admin + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("ferry_cluster_etcd_up 1.0", "ferry_cluster_config_refused_total 0.0")
                    .containsPattern("ferry_cluster_config_revision [1-9]");
        }

        // killed: its lease (3 s here) expires and it leaves the list
        run.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(ferry("cluster", "status", "-c", local.toString()).out()).contains("(no live instance)"));

        etcd.stop();
        Run down = ferry("config", "get", "-c", local.toString());
        assertThat(down.code()).isEqualTo(2);
        assertThat(down.err()).contains("cannot reach etcd");
        assertThat(down.err()).doesNotContain("Exception", "\tat ");
    }

    @Test
    void aLocalFileMayNotHoldTheSharedConfiguration() throws Exception {
        Files.writeString(local, Files.readString(local) + """
                frontends:
                  - { name: front, listen: 127.0.0.1:0, backend: pool }
                """);
        for (String command : List.of("validate", "run")) {
            Run r = ferry(command, "-c", local.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("local.yaml:5:1: frontends: is not allowed in an instance's local file",
                    "ferry config push");
        }
    }
}
