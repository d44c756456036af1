package dev.ferry.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A single-member etcd (Debian's {@code etcd-server}) started by a test on free loopback ports with a data directory
 * of the test's, never a system one. {@link #stop()} and {@link #start()} keep the data (a restart), {@link #kill()}
 * is a SIGKILL. Skips (or in CI fails) the test when {@code etcd} is not installed.
 */
public final class EtcdServer implements AutoCloseable {
    private final Path dataDir;
    private final Path log;
    private final int clientPort;
    private final int peerPort;
    private Process process;

    private EtcdServer(Path dir) throws IOException {
        this.dataDir = dir.resolve("etcd-data");
        this.log = dir.resolve("etcd.log");
        this.clientPort = freePort();
        this.peerPort = freePort();
    }

    /** Starts etcd with its data under {@code dir} and waits until it answers. */
    public static EtcdServer start(Path dir) throws IOException {
        Requirements.requireCommand("etcd", "apt-get install etcd-server");
        EtcdServer etcd = new EtcdServer(dir);
        etcd.start();
        return etcd;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** (Re)starts the process on the same ports and data; waits until it answers a read. */
    public synchronized void start() throws IOException {
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        List<String> command = new ArrayList<>(List.of("etcd", "--name", "test", "--data-dir", dataDir.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "test=" + peer, "--log-level", "warn", "--logger", "zap"));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(this::answers);
    }

    private boolean answers() {
        if (!process.isAlive()) {
            throw new AssertionError("etcd exited: " + logTail());
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", clientPort), 500);
        } catch (IOException e) {
            return false;
        }
        try {
            return post("/v3/kv/range", "{\"key\":\"AA==\"}").contains("revision");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** SIGTERM and wait; the data stays for {@link #start()}. */
    public synchronized void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The endpoint to put in config_source.etcd.endpoints. */
    public String endpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    /** A raw POST to the JSON gateway (for checks independent of Ferry's client). */
    public String post(String path, String json) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint() + path))
                            .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.body();
        }
    }

    /** Runs etcdctl against this server (e.g. "put", KEY, VALUE) and returns its output; fails the test on error. */
    public String etcdctl(String... args) throws IOException, InterruptedException {
        Requirements.requireCommand("etcdctl", "apt-get install etcd-client");
        List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoint()));
        command.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().put("ETCDCTL_API", "3");
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("etcdctl " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /** Compacts the history up to the current revision (older revisions can no longer be watched). */
    public long compact() throws IOException, InterruptedException {
        String range = post("/v3/kv/range", "{\"key\":\"AA==\"}");
        long revision = Long.parseLong(range.replaceAll("(?s).*\"revision\":\"(\\d+)\".*", "$1"));
        post("/v3/kv/compaction", "{\"revision\":\"" + revision + "\",\"physical\":true}");
        return revision;
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
