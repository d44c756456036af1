package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.HostPort;
import dev.ferry.config.ServerConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.UdpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Service discovery following a changing DNS answer. The DNS server is a second Ferry whose zone is backed by its
 * own backends: changing those backends (health, weight, membership) changes what it answers.
 */
@Timeout(60)
class DnsDiscoveryTest {
    private UdpTestServer echo1;
    private UdpTestServer echo2;
    private Balancer source;
    private Balancer consumer;

    @BeforeEach
    void start() throws Exception {
        echo1 = UdpTestServer.naming("E1");
        echo2 = UdpTestServer.naming("E2");
        source = new Balancer(ConfigLoader.parse("""
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: src } ]
                backends:
                  - name: src
                    servers:
                      - { name: e1, address: %s, weight: 1 }
                      - { name: e2, address: %s, weight: 3 }
                  - name: names
                    servers:
                      - { name: n1, address: 127.0.0.21:80 }
                      - { name: n2, address: 127.0.0.22:80 }
                dns:
                  listen: 127.0.0.1:0
                  zones:
                    - origin: disco.test
                      ttl: 1
                      records:
                        - { name: api, type: A, backend: names }
                        - { name: _echo._udp, type: SRV, backend: src }
                """.formatted(echo1.address(), echo2.address()), Path.of("<source>")), 1);
        source.start();
        String nameserver = "127.0.0.1:" + source.dnsAddress().orElseThrow().getPort();
        consumer = new Balancer(ConfigLoader.parse("""
                frontends: [ { name: front, listen: 127.0.0.1:0, mode: udp, backend: pool } ]
                backends:
                  - name: pool
                    scheduler: wrr
                    resolver: { nameserver: %s, refresh: 1s, timeout: 500ms }
                    servers:
                      - { name: echo, srv: _echo._udp.disco.test }
                  - name: apis
                    resolver: { nameserver: %s, refresh: 1s, timeout: 500ms }
                    servers:
                      - { name: api, address: api.disco.test:8080, resolve: true, weight: 5 }
                """.formatted(nameserver, nameserver), Path.of("<consumer>")), 2);
        consumer.start();
    }

    @AfterEach
    void stop() {
        if (consumer != null) {
            consumer.close();
        }
        if (source != null) {
            source.close();
        }
        echo1.close();
        echo2.close();
    }

    private static Map<String, Integer> weights(Backend backend) {
        return backend.servers().stream()
                .collect(Collectors.toMap(Server::name, Server::configuredWeight, (a, b) -> a, TreeMap::new));
    }

    @Test
    void addressesFollowTheAnswerAsServersComeAndGo() {
        Backend apis = consumer.backends().get("apis");
        assertThat(weights(apis)).as("resolved before the frontends started")
                .isEqualTo(Map.of("api@127.0.0.21:8080", 5, "api@127.0.0.22:8080", 5));

        Backend names = source.backends().get("names");
        names.setHealthy(names.server("n2").orElseThrow(), false);
        await().atMost(Duration.ofSeconds(10)).until(() -> weights(apis).equals(Map.of("api@127.0.0.21:8080", 5)));

        names.addServer(new ServerConfig("n3", new HostPort("127.0.0.23", 80), 1, 0, java.util.Optional.empty()));
        await().atMost(Duration.ofSeconds(10)).until(() -> weights(apis).keySet()
                .equals(java.util.Set.of("api@127.0.0.21:8080", "api@127.0.0.23:8080")));

        names.removeServer("n1");
        await().atMost(Duration.ofSeconds(10)).until(() -> weights(apis).keySet()
                .equals(java.util.Set.of("api@127.0.0.23:8080")));
        assertThat(apis.servers()).extracting(Server::name).containsExactly("api@127.0.0.23:8080");
    }

    @Test
    void srvRecordsGiveServersTheirPortsAndWeightsAndTrafficFlows() throws Exception {
        Backend pool = consumer.backends().get("pool");
        assertThat(weights(pool)).isEqualTo(Map.of("echo@" + echo1.address(), 1, "echo@" + echo2.address(), 3));

        InetSocketAddress front = consumer.address("front");
        Map<String, Integer> perServer = new TreeMap<>();
        for (int i = 0; i < 8; i++) {
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    0))) {
                client.setSoTimeout(5_000);
                byte[] hello = "hi".getBytes(StandardCharsets.UTF_8);
                client.send(new DatagramPacket(hello, hello.length, front));
                DatagramPacket reply = new DatagramPacket(new byte[100], 100);
                client.receive(reply);
                String text = new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
                perServer.merge(text.substring(0, text.indexOf(':')), 1, Integer::sum);
            }
        }
        assertThat(perServer).isEqualTo(Map.of("E1", 2, "E2", 6));

        Backend src = source.backends().get("src");
        src.setWeight(src.server("e1").orElseThrow(), 7);
        await().atMost(Duration.ofSeconds(10)).until(() -> weights(pool).get("echo@" + echo1.address()) == 7);
    }

    @Test
    void aDnsServerThatStopsAnsweringLeavesTheServersAsTheyAre() {
        DnsDiscoveryProbe probe = new DnsDiscoveryProbe(consumer);
        Backend apis = consumer.backends().get("apis");
        source.close();
        await().atMost(Duration.ofSeconds(15)).until(() -> probe.failures() >= 2);
        assertThat(weights(apis)).isEqualTo(Map.of("api@127.0.0.21:8080", 5, "api@127.0.0.22:8080", 5));
    }

    /**
     * Issue 15 item 19: an answer is applied to the backend on the balancer's control thread, not on the I/O loop
     * that asked (changing a backend takes its lock, which an admin call may hold).
     */
    @Test
    void answersAreAppliedOnTheControlThreadNotOnAnIoLoop() {
        Backend apis = consumer.backends().get("apis");
        java.util.List<String> joinedOn = new java.util.concurrent.CopyOnWriteArrayList<>();
        apis.addJoinListener(s -> joinedOn.add(s.name() + " on " + Thread.currentThread().getName()));

        Backend names = source.backends().get("names");
        names.addServer(new ServerConfig("n3", new HostPort("127.0.0.23", 80), 1, 0, java.util.Optional.empty()));
        await().atMost(Duration.ofSeconds(10)).until(() -> !joinedOn.isEmpty());
        assertThat(joinedOn).singleElement().asString()
                .startsWith("api@127.0.0.23:8080 on ferry-control");
    }

    /** Reads the consumer's discovery counters. */
    private record DnsDiscoveryProbe(Balancer balancer) {
        long failures() {
            return balancer.discoveries().values().stream().mapToLong(DnsDiscovery::failures).sum();
        }
    }
}
