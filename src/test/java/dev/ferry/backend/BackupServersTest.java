package dev.ferry.backend;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.GateOrigin;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 20 item 6: {@code backup: true} servers take traffic only while no primary server is usable (HAProxy's
 * {@code backup}): the first usable backup takes it all, or every usable backup with {@code allbackups: true}; a
 * primary coming back takes it back. Primaries go out by failing their health checks (the test stops them), by
 * maintenance, drain, weight 0 and ejection. Real sockets: the JDK HttpClient through an http frontend, plain sockets
 * through a tcp one.
 */
@Timeout(120)
class BackupServersTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        client.close();
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    private Balancer start(String yaml) throws Exception {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        return closeLater(balancer);
    }

    /** The names of the servers that answered {@code n} requests (null for a failed one: a server just stopped). */
    private List<String> httpServed(Balancer balancer, int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + balancer.address("web").getPort() + "/gate/x")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                names.add(r.statusCode() == 200 ? r.body().split(" ")[0] : null);
            } catch (Exception e) {
                names.add(null);
            }
        }
        return names;
    }

    private static List<String> tcpServed(Balancer balancer, int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                names.add(Clients.readAll(balancer.address("front")));
            } catch (RuntimeException | AssertionError e) {
                names.add(null);
            }
        }
        return names;
    }

    private static Set<String> set(List<String> names) {
        return new HashSet<>(names);
    }

    private String httpBackend(GateOrigin p1, GateOrigin p2, GateOrigin b1, GateOrigin b2, boolean allBackups) {
        for (GateOrigin o : List.of(p1, p2, b1, b2)) {
            o.pass(1_000); // requests go to /gate/x only so that arrivals() tells them from health checks
        }
        return """
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                backends:
                  - name: app
                    scheduler: rr
                    allbackups: %s
                    health_check: { type: http, path: /, interval: 100ms, timeout: 1s, rise: 1, fall: 1 }
                    servers:
                      - { name: p1, address: %s }
                      - { name: b1, address: %s, backup: true }
                      - { name: p2, address: %s }
                      - { name: b2, address: %s, backup: true }
                """.formatted(allBackups, p1.address(), b1.address(), p2.address(), b2.address());
    }

    @Test
    void theFirstBackupTakesOverWhenEveryPrimaryFailsItsChecksAndAPrimaryTakesItBack() throws Exception {
        GateOrigin p1 = GateOrigin.start("p1");
        GateOrigin p2 = GateOrigin.start("p2");
        GateOrigin b1 = closeLater(GateOrigin.start("b1"));
        GateOrigin b2 = closeLater(GateOrigin.start("b2"));
        Balancer balancer = start(httpBackend(p1, p2, b1, b2, false));
        Backend app = balancer.backends().get("app");

        assertThat(set(httpServed(balancer, 20))).containsExactlyInAnyOrder("p1", "p2");
        assertThat(app.snapshot().servers()).extracting(Server::name).containsExactly("p1", "p2");

        p1.close();
        assertThat(set(httpServed(balancer, 20))).as("one primary left: no backup yet").doesNotContain("b1", "b2");
        p2.close();
        await().atMost(WAIT).until(() -> app.snapshot().servers().stream().map(Server::name).toList()
                .equals(List.of("b1")));
        assertThat(httpServed(balancer, 20)).as("every request on the first backup").containsOnly("b1");
        assertThat(b2.arrivals()).as("the second backup stays out (it only answers health checks)").isEmpty();

        GateOrigin back = closeLater(GateOrigin.startOn("p2", p2.port()));
        back.pass(1_000);
        await().atMost(WAIT).until(() -> app.snapshot().servers().stream().map(Server::name).toList()
                .equals(List.of("p2")));
        assertThat(httpServed(balancer, 20)).as("the primary is back and takes everything").containsOnly("p2");
        assertThat(back.arrivals()).hasSize(20);
    }

    @Test
    void withAllbackupsEveryUsableBackupSharesTheTraffic() throws Exception {
        GateOrigin p1 = GateOrigin.start("p1");
        GateOrigin p2 = GateOrigin.start("p2");
        GateOrigin b1 = closeLater(GateOrigin.start("b1"));
        GateOrigin b2 = closeLater(GateOrigin.start("b2"));
        Balancer balancer = start(httpBackend(p1, p2, b1, b2, true));
        Backend app = balancer.backends().get("app");
        assertThat(set(httpServed(balancer, 10))).containsExactlyInAnyOrder("p1", "p2");

        p1.close();
        p2.close();
        await().atMost(WAIT).until(() -> app.snapshot().servers().stream().map(Server::name).toList()
                .equals(List.of("b1", "b2")));
        List<String> served = httpServed(balancer, 20);
        assertThat(served).containsOnly("b1", "b2");
        assertThat(served.stream().filter("b1"::equals).count()).as("rr over both backups").isEqualTo(10);
    }

    private Balancer tcpBalancer(TestServer p1, TestServer p2, TestServer b1, TestServer b2, String check)
            throws Exception {
        return start("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: rr
                    %s
                    servers:
                      - { name: b1, address: %s, backup: true }
                      - { name: p1, address: %s }
                      - { name: b2, address: %s, backup: true }
                      - { name: p2, address: %s }
                """.formatted(check, b1.address(), p1.address(), b2.address(), p2.address()));
    }

    @Test
    void atLayer4TooAndAFailedBackupIsPassedOverForTheNext() throws Exception {
        TestServer p1 = TestServer.naming("p1");
        TestServer p2 = closeLater(TestServer.naming("p2"));
        TestServer b1 = TestServer.naming("b1");
        TestServer b2 = closeLater(TestServer.naming("b2"));
        Balancer balancer = tcpBalancer(p1, p2, b1, b2,
                "health_check: { type: tcp, interval: 100ms, timeout: 1s, rise: 1, fall: 1 }");
        Backend pool = balancer.backends().get("pool");
        assertThat(set(tcpServed(balancer, 10))).containsExactlyInAnyOrder("p1", "p2");

        // Primaries out by hand (the backup is health-checked meanwhile and fails).
        b1.close();
        p1.close();
        pool.setState(pool.server("p2").orElseThrow(), ServerState.MAINT);
        await().atMost(WAIT).until(() -> pool.snapshot().servers().stream().map(Server::name).toList()
                .equals(List.of("b2")));
        assertThat(tcpServed(balancer, 10)).as("b1 is down: the next backup in list order").containsOnly("b2");

        TestServer b1Back = closeLater(TestServer.naming("b1", b1.port()));
        await().atMost(WAIT).until(() -> pool.snapshot().servers().stream().map(Server::name).toList()
                .equals(List.of("b1")));
        assertThat(tcpServed(balancer, 10)).as("the first backup is back").containsOnly("b1");
        assertThat(b1Back.accepted()).isGreaterThanOrEqualTo(10);

        pool.setState(pool.server("p2").orElseThrow(), ServerState.READY);
        assertThat(tcpServed(balancer, 10)).containsOnly("p2");
    }

    @Test
    void drainWeightZeroAndEjectionOfEveryPrimaryHandTheTrafficToTheBackup() throws Exception {
        TestServer p1 = closeLater(TestServer.naming("p1"));
        TestServer p2 = closeLater(TestServer.naming("p2"));
        TestServer b1 = closeLater(TestServer.naming("b1"));
        TestServer b2 = closeLater(TestServer.naming("b2"));
        Balancer balancer = tcpBalancer(p1, p2, b1, b2, "");
        Backend pool = balancer.backends().get("pool");
        Server s1 = pool.server("p1").orElseThrow();
        Server s2 = pool.server("p2").orElseThrow();

        pool.setState(s1, ServerState.DRAIN);
        assertThat(tcpServed(balancer, 6)).containsOnly("p2");
        pool.setWeight(s2, 0);
        // Draining and quiesced primaries stay members with weight 0 (for whoever keeps clients on them).
        assertThat(pool.snapshot().servers()).extracting(Server::name).containsExactly("b1", "p1", "p2");
        assertThat(tcpServed(balancer, 6)).as("no primary with a weight above 0: HAProxy's usable").containsOnly("b1");

        pool.setWeight(s2, 1);
        assertThat(tcpServed(balancer, 6)).containsOnly("p2");
        pool.setState(s1, ServerState.READY);
        pool.setEjected(s1, true);
        pool.setEjected(s2, true);
        assertThat(tcpServed(balancer, 6)).as("every primary ejected").containsOnly("b1");
        pool.setEjected(s1, false);
        assertThat(tcpServed(balancer, 6)).containsOnly("p1");
        assertThat(s1.backup()).isFalse();
        assertThat(pool.server("b1").orElseThrow().backup()).isTrue();
    }

    @Test
    void udpSessionsGoToTheBackupWhileNoPrimaryIsUsable() throws Exception {
        dev.ferry.testing.UdpTestServer p = closeLater(dev.ferry.testing.UdpTestServer.naming("p"));
        dev.ferry.testing.UdpTestServer x = closeLater(dev.ferry.testing.UdpTestServer.naming("x"));
        Balancer balancer = start("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: udp, backend: pool }
                backends:
                  - name: pool
                    servers:
                      - { name: p, address: %s }
                      - { name: x, address: %s, backup: true }
                """.formatted(p.address(), x.address()));
        Backend pool = balancer.backends().get("pool");
        assertThat(udpAnswer(balancer, "one")).isEqualTo("p:one");
        pool.setState(pool.server("p").orElseThrow(), ServerState.MAINT);
        assertThat(udpAnswer(balancer, "two")).as("a new session, on the backup").isEqualTo("x:two");
        pool.setState(pool.server("p").orElseThrow(), ServerState.READY);
        assertThat(udpAnswer(balancer, "three")).isEqualTo("p:three");
    }

    /** One datagram from a new client socket (a new session) and its answer. */
    private String udpAnswer(Balancer balancer, String text) throws Exception {
        try (java.net.DatagramSocket client = new java.net.DatagramSocket(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(5_000);
            byte[] out = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            client.send(new java.net.DatagramPacket(out, out.length, balancer.address("front")));
            java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
            client.receive(in);
            return new String(in.getData(), 0, in.getLength(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
