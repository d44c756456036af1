package dev.ferry.proxy.tcp;

import dev.ferry.admin.MetricsExporter;
import dev.ferry.admin.StatusReport;
import dev.ferry.config.ConfigLoader;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.admission.AdmissionStats;
import dev.ferry.proxy.admission.RuleStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import dev.ferry.testing.UdpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Access rules and per-source connection limits at layer 4, through real sockets: clients bound to 127.0.0.2 and
 * 127.0.0.3 are two sources (loopback takes any 127/8 address). A refused connection is reset right at accept and
 * its server never sees it; udp datagrams of a denied source are dropped and counted; a network file is re-read on
 * reload.
 */
@Timeout(120)
class TcpAdmissionTest {
    private static final InetAddress A = address("127.0.0.2");
    private static final InetAddress B = address("127.0.0.3");

    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private TestServer echo() {
        TestServer s = TestServer.echo("echo");
        resources.add(s);
        return s;
    }

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private InetSocketAddress start(Path file) throws Exception {
        balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        return balancer.address("front");
    }

    private String tcpFrontend(String rules, TestServer server) {
        return """
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool, %s }
                backends:
                  - { name: pool, servers: [ { address: %s } ] }
                """.formatted(rules, server.address());
    }

    /** A connection from {@code local}, kept open; the caller closes it. */
    private Socket open(InetAddress local, InetSocketAddress front) throws IOException {
        Socket s = new Socket();
        resources.add(s);
        s.bind(new InetSocketAddress(local, 0));
        s.connect(front, 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends a line through an open connection and reads the echo. */
    private static String echoOver(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        byte[] back = s.getInputStream().readNBytes(line.length() + 1);
        return new String(back, StandardCharsets.UTF_8).strip();
    }

    /** Connects from {@code local} and expects Ferry to reset the connection (not a clean close, not data). */
    private void expectReset(InetAddress local, InetSocketAddress front) {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(local, 0));
            s.connect(front, 5_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
            int b = s.getInputStream().read();
            throw new AssertionError("expected a reset, but read returned " + b);
        } catch (SocketException e) {
            assertThat(e.getMessage()).as("a reset, not another failure").containsIgnoringCase("reset");
        } catch (IOException e) {
            throw new AssertionError("expected a reset, got " + e, e);
        }
    }

    private RuleStats rule() {
        Frontend f = balancer.frontends().stream().filter(x -> x.name().equals("front")).findFirst().orElseThrow();
        return f.admissionStats().rule(AdmissionStats.FRONTEND);
    }

    @Test
    void aDeniedSourceIsResetAtAcceptAndItsServerNeverSeesIt() throws Exception {
        TestServer server = echo();
        InetSocketAddress front = start(write(tcpFrontend("deny: [127.0.0.3]", server)));

        for (int i = 0; i < 3; i++) {
            expectReset(B, front);
        }
        assertThat(server.accepted()).as("no connection of the denied source reached the server").isZero();
        assertThat(rule().deniedCount()).isEqualTo(3);

        try (Socket s = open(A, front)) {
            assertThat(echoOver(s, "from A")).isEqualTo("from A");
        }
        assertThat(server.accepted()).isEqualTo(1);
        assertThat(balancer.frontends().getFirst().stats().accepted())
                .as("denied connections never counted as accepted").isEqualTo(1);
    }

    @Test
    void anAllowFileLetsOnlyItsNetworksInAndIsReReadOnReload() throws Exception {
        TestServer server = echo();
        Path nets = dir.resolve("allowed.nets");
        Files.writeString(nets, "# who may connect\n127.0.0.2/32\n");
        Path file = write(tcpFrontend("allow_file: allowed.nets", server));
        InetSocketAddress front = start(file);

        try (Socket s = open(A, front)) {
            assertThat(echoOver(s, "a")).isEqualTo("a");
        }
        expectReset(B, front);

        Files.writeString(nets, "127.0.0.3   # only B now\n");
        assertThat(balancer.reload(ConfigLoader.load(file)).toString())
                .isEqualTo("frontend front: updated (access.allow_file.networks changed)");
        try (Socket s = open(B, front)) {
            assertThat(echoOver(s, "b")).isEqualTo("b");
        }
        expectReset(A, front);
        assertThat(server.accepted()).isEqualTo(2);
    }

    @Test
    void concurrentConnectionsPerSourceAreCappedAndFreedWhenOneCloses() throws Exception {
        TestServer server = echo();
        InetSocketAddress front = start(write(tcpFrontend("rate_limit: { concurrent_connections: 2 }", server)));

        Socket first = open(A, front);
        Socket second = open(A, front);
        assertThat(echoOver(first, "1")).isEqualTo("1");
        assertThat(echoOver(second, "2")).isEqualTo("2");
        expectReset(A, front);
        try (Socket other = open(B, front)) {
            assertThat(echoOver(other, "other source")).isEqualTo("other source");
        }
        assertThat(server.accepted()).as("the refused connection never reached the server").isEqualTo(3);

        first.close();
        // The slot comes back when Ferry sees the close; until then a new connection may still be refused.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try (Socket again = open(A, front)) {
                return echoOver(again, "again").equals("again");
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(rule().limitedCount()).isPositive();
        assertThat(rule().allowedCount()).isGreaterThanOrEqualTo(4);
        second.close();
    }

    @Test
    void newConnectionsPerSecondArePerSourceWithABurst() throws Exception {
        TestServer server = echo();
        // One new connection per 100 s after a burst of 2: no refill can happen during the test.
        InetSocketAddress front = start(write(tcpFrontend(
                "rate_limit: { connections_per_second: 0.01, connections_burst: 2 }", server)));

        for (int i = 0; i < 2; i++) {
            try (Socket s = open(A, front)) {
                assertThat(echoOver(s, "burst " + i)).isEqualTo("burst " + i);
            }
        }
        expectReset(A, front);
        expectReset(A, front);
        try (Socket s = open(B, front)) {
            assertThat(echoOver(s, "B has its own bucket")).isEqualTo("B has its own bucket");
        }
        assertThat(rule().limitedCount()).isEqualTo(2);
        assertThat(rule().allowedCount()).isEqualTo(3);
        assertThat(rule().trackedKeys(System.nanoTime())).isEqualTo(2);
        assertThat(server.accepted()).isEqualTo(3);
    }

    @Test
    void metricsAndTheStatusApiCountEachRule() throws Exception {
        TestServer server = echo();
        InetSocketAddress front = start(write(tcpFrontend(
                "deny: [127.0.0.3], rate_limit: { connections_per_second: 0.01, connections_burst: 1 }", server)));
        expectReset(B, front);
        try (Socket s = open(A, front)) {
            assertThat(echoOver(s, "x")).isEqualTo("x");
        }
        expectReset(A, front);

        try (MetricsExporter metrics = new MetricsExporter(balancer)) {
            String text = metrics.scrape();
            assertThat(text).contains("ferry_denied_total{frontend=\"front\",rule=\"frontend\"} 1.0")
                    .contains("ferry_rate_limit_total{frontend=\"front\",result=\"allowed\",rule=\"frontend\"} 1.0")
                    .contains("ferry_rate_limit_total{frontend=\"front\",result=\"limited\",rule=\"frontend\"} 1.0")
                    .contains("ferry_rate_limit_keys{frontend=\"front\",rule=\"frontend\"} 1.0");
        }
        StatusReport.FrontendStatus status = StatusReport.of(balancer, "test").frontends().getFirst();
        assertThat(status.admission()).containsExactly(new StatusReport.AdmissionRule("frontend", 1, 1, 1, 1));
    }

    @Test
    void udpDatagramsOfADeniedSourceAreDroppedAndCounted() throws Exception {
        UdpTestServer server = UdpTestServer.echo("u");
        resources.add(server);
        InetSocketAddress front = start(write("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: udp, backend: pool, deny: [127.0.0.3/32] }
                backends:
                  - { name: pool, servers: [ { address: %s } ] }
                """.formatted(server.address())));

        try (DatagramSocket denied = new DatagramSocket(new InetSocketAddress(B, 0));
             DatagramSocket allowed = new DatagramSocket(new InetSocketAddress(A, 0))) {
            denied.setSoTimeout(1_000);
            for (int i = 0; i < 3; i++) {
                denied.send(new DatagramPacket(new byte[]{1, 2, 3}, 3, front));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> rule().deniedCount() == 3);
            byte[] buffer = new byte[100];
            DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
            try {
                denied.receive(reply);
                throw new AssertionError("a denied source got a reply");
            } catch (SocketTimeoutException expected) {
                // dropped
            }
            allowed.setSoTimeout(10_000);
            allowed.send(new DatagramPacket(new byte[]{9}, 1, front));
            allowed.receive(reply);
            assertThat(reply.getLength()).isPositive();
        }
        assertThat(server.peers()).as("only the allowed source's session reached the server").hasSize(1);
    }
}
