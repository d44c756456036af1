package dev.ferry.proxy.udp;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.OutlierConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import dev.ferry.testing.UdpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** UDP balancing through real sockets on loopback: Ferry in the middle, DatagramSockets on both ends. */
@Timeout(60)
class UdpProxyTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private UdpTestServer server(UdpTestServer s) {
        resources.add(s);
        return s;
    }

    private DatagramSocket client() throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(5_000);
        resources.add(s);
        return s;
    }

    private InetSocketAddress start(FerryConfig config) throws Exception {
        balancer = new Balancer(config, 2);
        balancer.start();
        return balancer.address("front");
    }

    private UdpFrontend frontend() {
        return (UdpFrontend) balancer.frontends().get(0);
    }

    private Backend backend() {
        return balancer.backends().get("pool");
    }

    /** Sends one datagram and returns the reply, checking it came from the frontend's address. */
    private static byte[] exchange(DatagramSocket client, InetSocketAddress front, byte[] payload) throws IOException {
        client.send(new DatagramPacket(payload, payload.length, front));
        DatagramPacket reply = new DatagramPacket(new byte[70_000], 70_000);
        client.receive(reply);
        assertThat(reply.getSocketAddress()).as("reply source").isEqualTo(front);
        return Arrays.copyOf(reply.getData(), reply.getLength());
    }

    private static String exchange(DatagramSocket client, InetSocketAddress front, String text) throws IOException {
        return new String(exchange(client, front, text.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    @Test
    void sessionsFromManyClientPortsFollowTheWrrSchedulerAndStickToTheirServer() throws Exception {
        UdpTestServer a = server(UdpTestServer.naming("A"));
        UdpTestServer b = server(UdpTestServer.naming("B"));
        UdpTestServer c = server(UdpTestServer.naming("C"));
        InetSocketAddress front = start(Configs.udp("wrr", false).server(a, 3).server(b, 2).server(c, 1).build());

        Map<String, Integer> sessionsPerServer = new TreeMap<>();
        for (int i = 0; i < 60; i++) {
            DatagramSocket client = client();
            String first = exchange(client, front, "hello " + i);
            String server = first.substring(0, first.indexOf(':'));
            assertThat(first).isEqualTo(server + ":hello " + i);
            for (int j = 0; j < 3; j++) {
                assertThat(exchange(client, front, "again " + j)).as("the session sticks to its server")
                        .isEqualTo(server + ":again " + j);
            }
            sessionsPerServer.merge(server, 1, Integer::sum);
        }

        // wrr over weights 3:2:1 is exact for sessions opened one after another.
        assertThat(sessionsPerServer).isEqualTo(Map.of("A", 30, "B", 20, "C", 10));
        assertThat(a.received() + b.received() + c.received()).isEqualTo(240);
        assertThat(a.peers()).as("one session socket per client").hasSize(30);
        assertThat(frontend().sessions()).isEqualTo(60);
        assertThat(frontend().stats().accepted()).isEqualTo(60);
        assertThat(frontend().udpStats().datagramsFromClients()).isEqualTo(240);
        assertThat(frontend().udpStats().datagramsToClients()).isEqualTo(240);
        Server serverA = backend().server("A").orElseThrow();
        assertThat(serverA.inactive()).as("UDP sessions count as inactive, as in IPVS").isEqualTo(30);
        assertThat(serverA.active()).isZero();
    }

    @Test
    void datagramsAreNeverMergedOrSplit() throws Exception {
        UdpTestServer echo = server(UdpTestServer.echo("E"));
        InetSocketAddress front = start(Configs.udp("rr", false).server(echo, 1).build());
        DatagramSocket client = client();
        Random random = new Random(7);
        int[] sizes = {1, 1400, 9000, 65_000, 2048, 2049, 512};
        for (int size : sizes) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            client.send(new DatagramPacket(payload, payload.length, front));
        }
        random = new Random(7);
        for (int size : sizes) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            DatagramPacket reply = new DatagramPacket(new byte[70_000], 70_000);
            client.receive(reply);
            assertThat(reply.getLength()).as("the reply to a datagram of %d bytes", size).isEqualTo(size);
            assertThat(Arrays.equals(payload, 0, size, reply.getData(), 0, size)).as("same bytes").isTrue();
        }
    }

    @Test
    void idleSessionsExpireAndReleaseTheirServer() throws Exception {
        UdpTestServer a = server(UdpTestServer.naming("A"));
        InetSocketAddress front = start(Configs.udp("rr", false).server(a, 1).clientIdle(Duration.ofMillis(300))
                .build());
        DatagramSocket client = client();
        assertThat(exchange(client, front, "x")).isEqualTo("A:x");
        Server server = backend().server("A").orElseThrow();
        assertThat(frontend().sessions()).isEqualTo(1);
        assertThat(server.inactive()).isEqualTo(1);

        await().atMost(Duration.ofSeconds(5)).until(() -> frontend().sessions() == 0);
        assertThat(frontend().udpStats().sessionsExpired()).isEqualTo(1);
        assertThat(server.inactive()).isZero();

        assertThat(exchange(client, front, "y")).as("a new session after expiry").isEqualTo("A:y");
        assertThat(frontend().stats().accepted()).isEqualTo(2);
        assertThat(a.peers()).as("the new session has a new socket").hasSize(2);
    }

    @Test
    void perDatagramModeSchedulesEveryDatagramAndRepliesStillReachTheClient() throws Exception {
        UdpTestServer a = server(UdpTestServer.naming("A"));
        UdpTestServer b = server(UdpTestServer.naming("B"));
        InetSocketAddress front = start(Configs.udp("wrr", true).server(a, 2).server(b, 1).build());
        DatagramSocket client = client();
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            String reply = exchange(client, front, "q" + i);
            assertThat(reply).endsWith(":q" + i);
            seen.append(reply.charAt(0));
        }
        assertThat(seen.toString()).isEqualTo("AABAABAAB");
        assertThat(frontend().sessions()).as("one client, one session socket").isEqualTo(1);
        Server serverA = backend().server("A").orElseThrow();
        assertThat(serverA.totalConnections()).as("each datagram is one scheduled connection").isEqualTo(6);
        assertThat(serverA.inactive() + serverA.active()).as("and none stays open").isZero();
    }

    @Test
    void aFullSessionTableDropsNewClientsAndCountsThem() throws Exception {
        UdpTestServer a = server(UdpTestServer.naming("A"));
        InetSocketAddress front = start(Configs.udp("rr", false).server(a, 1).frontendMaxConnections(2)
                .clientIdle(Duration.ofMillis(500)).build());
        DatagramSocket first = client();
        DatagramSocket second = client();
        DatagramSocket third = client();
        assertThat(exchange(first, front, "1")).isEqualTo("A:1");
        assertThat(exchange(second, front, "2")).isEqualTo("A:2");

        third.setSoTimeout(300);
        assertThatThrownBy(() -> exchange(third, front, "3")).isInstanceOf(SocketTimeoutException.class);
        assertThat(frontend().udpStats().tableFull()).isEqualTo(1);
        assertThat(frontend().stats().overLimit()).isEqualTo(1);
        assertThat(exchange(first, front, "1 again")).as("existing sessions carry on").isEqualTo("A:1 again");

        await().atMost(Duration.ofSeconds(5)).until(() -> frontend().sessions() == 0);
        third.setSoTimeout(5_000);
        assertThat(exchange(third, front, "3")).as("room again once sessions expired").isEqualTo("A:3");
    }

    @Test
    void aSessionWhoseServerWentDownStartsOverOnAnotherServer() throws Exception {
        UdpTestServer a = server(UdpTestServer.naming("A"));
        UdpTestServer b = server(UdpTestServer.naming("B"));
        InetSocketAddress front = start(Configs.udp("rr", false).server(a, 1).server(b, 1).build());
        DatagramSocket client = client();
        assertThat(exchange(client, front, "1")).isEqualTo("A:1");
        backend().setHealthy(backend().server("A").orElseThrow(), false);
        assertThat(exchange(client, front, "2")).isEqualTo("B:2");
        assertThat(backend().server("A").orElseThrow().inactive()).isZero();
    }

    @Test
    void aServerThatIsNotListeningEndsTheSessionAndCountsAFailure() throws Exception {
        DatagramSocket gone = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int closedPort = gone.getLocalPort();
        gone.close();
        InetSocketAddress front = start(Configs.udp("rr", false).server("dead", "127.0.0.1:" + closedPort, 1)
                .build());
        DatagramSocket client = client();
        client.send(new DatagramPacket(new byte[]{1}, 1, front));
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend().udpStats().serverUnreachable() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend().sessions() == 0);
        assertThat(backend().server("dead").orElseThrow().failures()).isEqualTo(1);
    }

    /**
     * Issue 15 item 16b: per datagram, ICMP port unreachable from a dead server counts a failure of that server (its
     * datagrams go through a socket connected to it), so outlier detection ejects it and the rest go elsewhere.
     */
    @Test
    void perDatagramModeHearsPortUnreachableAndOutlierDetectionEjectsTheDeadServer() throws Exception {
        UdpTestServer a = server(UdpTestServer.naming("A"));
        DatagramSocket gone = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int closedPort = gone.getLocalPort();
        gone.close();
        InetSocketAddress front = start(Configs.udp("rr", true).server(a, 1)
                .server("dead", "127.0.0.1:" + closedPort, 1)
                .outlier(new OutlierConfig(2, Duration.ofMinutes(10), 50)).build());
        Server dead = backend().server("dead").orElseThrow();
        DatagramSocket client = client();

        // Every datagram either reaches A or draws a port unreachable from the dead server's port.
        for (int i = 0; i < 20 && !dead.ejected(); i++) {
            client.send(new DatagramPacket(new byte[]{(byte) i}, 1, front));
            int sent = i + 1;
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    a.received() + frontend().udpStats().serverUnreachable() == sent);
        }
        await().atMost(Duration.ofSeconds(5)).until(dead::ejected);
        assertThat(frontend().udpStats().serverUnreachable()).isGreaterThanOrEqualTo(2);
        assertThat(dead.failures()).isEqualTo(frontend().udpStats().serverUnreachable());
        assertThat(frontend().sessions()).as("the session goes on with the other server").isEqualTo(1);

        for (int i = 0, answered = a.received(); i < answered; i++) {
            DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            client.receive(reply); // A's replies to the datagrams above
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.ISO_8859_1)).startsWith("A:");
        }
        for (int i = 0; i < 6; i++) {
            assertThat(exchange(client, front, "after" + i)).isEqualTo("A:after" + i);
        }
        assertThat(backend().snapshot().servers()).extracting(Server::name).containsExactly("A");
    }
}
