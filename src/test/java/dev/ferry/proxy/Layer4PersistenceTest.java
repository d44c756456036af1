package dev.ferry.proxy;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.proxy.tcp.TcpFrontend;
import dev.ferry.proxy.udp.UdpFrontend;
import dev.ferry.testing.LeakWatch;
import dev.ferry.testing.ManualClock;
import dev.ferry.testing.TestServer;
import dev.ferry.testing.UdpTestServer;
import dev.ferry.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Layer-4 persistence (issue 20 item 3), IPVS {@code -p timeout -M netmask}, through real sockets: tcp connections
 * and udp sessions from several loopback addresses (127.0.0.x) that a netmask groups go to one server across
 * reconnects, while a netmask of 32 keeps each address apart; a template expires {@code timeout} after its last
 * connection ended (on a hand-moved clock) and the next one is scheduled anew; a server that goes down drops its
 * templates.
 */
@Timeout(120)
@ExtendWith(LeakWatch.class)
class Layer4PersistenceTest {
    private final Transport transport = new Transport(2);
    private final ManualClock clock = new ManualClock();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Frontend> frontends = new ArrayList<>();
    private Backend backend;

    @AfterEach
    void tearDown() throws Exception {
        for (Frontend f : frontends) {
            f.stopAccepting();
            f.closeAll();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
        transport.close();
    }

    private FerryConfig config(String mode, String persistence, String servers) throws Exception {
        return ConfigLoader.parse("""
                frontends:
                  - { name: f, listen: 127.0.0.1:0, mode: %s, backend: app, persistence: %s,
                      timeouts: { client_idle: 1s } }
                backends:
                  - { name: app, scheduler: rr, servers: [ %s ] }
                """.formatted(mode, persistence, servers), Path.of("l4.yaml"));
    }

    private InetSocketAddress tcp(String persistence) throws Exception {
        List<String> entries = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            TestServer s = TestServer.naming(name);
            resources.add(s);
            entries.add("{ name: " + name + ", address: " + s.address() + " }");
        }
        FerryConfig config = config("tcp", persistence, String.join(", ", entries));
        backend = new Backend(config.backends().getFirst(), clock);
        TcpFrontend f = new TcpFrontend(config.frontends().getFirst(), backend, transport, AccessLog.NONE);
        frontends.add(f);
        return f.start();
    }

    /** One connection from {@code local}: the name of the server it reached. */
    private static String connect(InetSocketAddress front, String local) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
            s.connect(front, 5000);
            s.setSoTimeout(10_000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Frontend frontend() {
        return frontends.getFirst();
    }

    private ClientPersistence persistence() {
        Frontend f = frontend();
        return f instanceof TcpFrontend t ? t.persistence() : ((UdpFrontend) f).persistence();
    }

    @Test
    void tcpConnectionsOfAllAddressesUnderTheNetmaskGoToOneServerAcrossReconnects() throws Exception {
        InetSocketAddress front = tcp("{ timeout: 300s, netmask: 24 }");
        Set<String> seen = new HashSet<>();
        for (int round = 0; round < 4; round++) {
            for (String local : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6")) {
                seen.add(connect(front, local));
            }
        }
        assertThat(seen).as("20 connections of one /24, rr over three servers").hasSize(1);
        assertThat(persistence().size()).isEqualTo(1);
        assertThat(persistence().list(10).getFirst().group()).isEqualTo("127.0.0.0");
    }

    @Test
    void withANetmaskOf32EachAddressKeepsItsOwnServer() throws Exception {
        InetSocketAddress front = tcp("{ timeout: 300s }");
        List<String> first = new ArrayList<>();
        for (String local : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
            first.add(connect(front, local));
        }
        assertThat(first).containsExactly("a", "b", "c");
        for (int round = 0; round < 3; round++) {
            assertThat(List.of(connect(front, "127.0.0.2"), connect(front, "127.0.0.3"), connect(front, "127.0.0.4")))
                    .as("round %d", round).isEqualTo(first);
        }
        assertThat(persistence().size()).isEqualTo(3);
    }

    @Test
    void aTcpTemplateOutlivesItsLastConnectionByTheTimeoutThenTheNextIsScheduledAnew() throws Exception {
        InetSocketAddress front = tcp("{ timeout: 300s, netmask: 255.255.255.0 }");
        assertThat(connect(front, "127.0.0.2")).isEqualTo("a");
        await().atMost(Duration.ofSeconds(20)).until(() -> frontend().stats().active() == 0);
        await().atMost(Duration.ofSeconds(20)).until(() -> persistence().list(1).getFirst().connections() == 0);
        clock.advance(Duration.ofSeconds(299));
        assertThat(connect(front, "127.0.0.3")).as("within the timeout").isEqualTo("a");
        await().atMost(Duration.ofSeconds(20)).until(() -> persistence().list(1).getFirst().connections() == 0);
        clock.advance(Duration.ofSeconds(300));
        assertThat(connect(front, "127.0.0.2")).as("expired: rr's next").isEqualTo("b");
        // The server of a template goes down: the template goes, the group moves.
        backend.setHealthy(backend.server("b").orElseThrow(), false);
        String moved = connect(front, "127.0.0.4");
        assertThat(moved).isNotEqualTo("b");
        backend.setHealthy(backend.server("b").orElseThrow(), true);
        assertThat(connect(front, "127.0.0.2")).isEqualTo(moved);
    }

    private InetSocketAddress udp(String persistence) throws Exception {
        List<String> entries = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            UdpTestServer s = UdpTestServer.naming(name);
            resources.add(s);
            entries.add("{ name: " + name + ", address: " + s.address() + " }");
        }
        FerryConfig config = config("udp", persistence, String.join(", ", entries));
        backend = new Backend(config.backends().getFirst(), clock);
        FrontendConfig fc = config.frontends().getFirst();
        UdpFrontend f = new UdpFrontend(fc, backend, transport);
        frontends.add(f);
        return f.start();
    }

    /** A datagram from a new socket on {@code local}: the name of the server that answered. */
    private static String datagram(InetSocketAddress front, String local) throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(local), 0))) {
            s.setSoTimeout(10_000);
            byte[] out = "ping".getBytes(StandardCharsets.UTF_8);
            s.send(new DatagramPacket(out, out.length, front));
            DatagramPacket in = new DatagramPacket(new byte[512], 512);
            s.receive(in);
            String reply = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
            return reply.substring(0, reply.indexOf(':'));
        }
    }

    @Test
    void udpSessionsOfOneGroupGoToOneServerAndTheTemplateExpiresAfterTheSessionsEnd() throws Exception {
        InetSocketAddress front = udp("{ timeout: 60s, netmask: 24 }");
        Set<String> seen = new HashSet<>();
        for (int round = 0; round < 3; round++) {
            for (String local : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
                seen.add(datagram(front, local)); // a new socket, a new source port: a new session each time
            }
        }
        assertThat(seen).hasSize(1);
        String server = seen.iterator().next();
        assertThat(persistence().size()).isEqualTo(1);
        assertThat(persistence().list(1).getFirst().connections()).as("sessions live").isPositive();
        // The sessions end after client_idle (1s); the template then lives for its timeout.
        await().atMost(Duration.ofSeconds(30)).until(() -> ((UdpFrontend) frontend()).sessions() == 0);
        assertThat(persistence().list(1).getFirst().connections()).isZero();
        clock.advance(Duration.ofSeconds(59));
        assertThat(datagram(front, "127.0.0.9")).isEqualTo(server);
        await().atMost(Duration.ofSeconds(30)).until(() -> ((UdpFrontend) frontend()).sessions() == 0);
        clock.advance(Duration.ofSeconds(60));
        assertThat(datagram(front, "127.0.0.2")).as("expired: rr's next").isNotEqualTo(server);
    }
}
