package dev.ferry.schedule;

import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per scheduler family through real TCP connections: Ferry's counters, not a test's, drive the choices.
 * Servers write their one-letter name on accept and then hold the connection until the test ends, so every
 * earlier connection is still active when the next one is placed.
 */
@Timeout(60)
class SchedulersOverTcpTest {
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;

    @AfterEach
    void tearDown() throws Exception {
        release.countDown();
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
        if (balancer != null) {
            balancer.close();
        }
    }

    private TestServer holding(String name) {
        TestServer s = TestServer.start(name, sock -> {
            sock.getOutputStream().write(name.getBytes(StandardCharsets.UTF_8));
            sock.getOutputStream().flush();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        resources.add(s);
        return s;
    }

    private InetSocketAddress start(Configs configs) throws Exception {
        balancer = new Balancer(configs.build(), 2);
        balancer.start();
        return balancer.address("front");
    }

    /** Opens a connection from {@code sourceIp}, keeps it open, and returns the name of the server it reached. */
    private String open(InetSocketAddress front, String sourceIp) throws IOException {
        Socket s = new Socket();
        resources.add(s);
        s.bind(new InetSocketAddress(sourceIp, 0));
        s.connect(front, 5_000);
        s.setSoTimeout(10_000);
        byte[] name = s.getInputStream().readNBytes(1);
        return new String(name, StandardCharsets.UTF_8);
    }

    private String openMany(InetSocketAddress front, int n) throws IOException {
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < n; i++) {
            seen.append(open(front, "127.0.0.1"));
        }
        return seen.toString();
    }

    @Test
    void wlcPlacesHeldConnectionsByActiveCountPerWeight() throws Exception {
        InetSocketAddress front = start(Configs.tcp("wlc").server(holding("A"), 3).server(holding("B"), 1));
        // Spec 5.2.2: wlc with A=3, B=1 from empty gives ABAAABAA.
        assertThat(openMany(front, 8)).isEqualTo("ABAAABAA");
    }

    @Test
    void sedAndNqFollowTheirIpvsSequences() throws Exception {
        InetSocketAddress front = start(Configs.tcp("nq").server(holding("A"), 1).server(holding("B"), 3));
        // Spec 5.4: nq with A=1, B=3 gives ABBBBBAB.
        assertThat(openMany(front, 8)).isEqualTo("ABBBBBAB");
    }

    @Test
    void ovfFillsTheHeaviestServerToWeightPlusOneThenOverflows() throws Exception {
        InetSocketAddress front = start(Configs.tcp("ovf").server(holding("A"), 2).server(holding("B"), 1));
        // Spec 5.3.3: A A A B B, then nothing (the sixth client is reset).
        assertThat(openMany(front, 5)).isEqualTo("AAABB");
        dev.ferry.testing.Clients.expectReset(front);
    }

    @Test
    void shMapsClientAddressesToTheKernelsBuckets() throws Exception {
        InetSocketAddress front = start(Configs.tcp("sh")
                .server(holding("A"), 1).server(holding("B"), 1).server(holding("C"), 1));
        // Current kernels' hash_32(addr, 8): 127.0.0.1 -> bucket 154 -> B, .2 -> 252 -> A, .5 -> 33 -> A (mod 3);
        // the old last-octet hash would give A, C and C.
        for (int round = 0; round < 3; round++) {
            assertThat(open(front, "127.0.0.1")).isEqualTo("B");
            assertThat(open(front, "127.0.0.2")).isEqualTo("A");
            assertThat(open(front, "127.0.0.5")).isEqualTo("A");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mh", "ring"})
    void consistentHashingKeepsEveryClientAddressOnOneServer(String scheduler) throws Exception {
        // ring without its load cap: the held connections below would otherwise (rightly) push keys along.
        InetSocketAddress front = start(Configs.tcp(scheduler)
                .schedulerOptions(scheduler.equals("ring") ? Map.of("balance_factor", "0") : Map.of())
                .server(holding("A"), 1).server(holding("B"), 1).server(holding("C"), 1));
        Map<String, String> first = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (int host = 10; host < 40; host++) {
                String ip = "127.0.0." + host;
                String server = open(front, ip);
                assertThat(first.computeIfAbsent(ip, k -> server)).as("server of %s", ip).isEqualTo(server);
            }
        }
        assertThat(first.values()).contains("A", "B", "C");
    }

    @Test
    void ringsBoundedLoadCapsEveryServerAtItsShareTimesTheFactor() throws Exception {
        InetSocketAddress front = start(Configs.tcp("ring").schedulerOptions(Map.of("balance_factor", "125"))
                .server(holding("A"), 1).server(holding("B"), 1).server(holding("C"), 1));
        Map<String, Integer> held = new HashMap<>();
        for (int host = 10; host < 40; host++) {
            held.merge(open(front, "127.0.0." + host), 1,
                    Integer::sum);
        }
        // 30 connections, factor 1.25: at most ceil(ceil(30 * 1.25) / 3) = 13 on any one server.
        assertThat(held.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(13));
        assertThat(held.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(30);
    }

    @Test
    void p2cSpreadsHeldConnectionsByLoadPerWeight() throws Exception {
        InetSocketAddress front = start(Configs.tcp("p2c").server(holding("A"), 1).server(holding("B"), 1));
        // Two different servers are drawn and the less loaded wins, so held connections stay within one of each other.
        String seen = openMany(front, 10);
        long a = seen.chars().filter(c -> c == 'A').count();
        assertThat(a).as("A's share of %s", seen).isBetween(4L, 6L);
    }

    @Test
    void lblcStaysOnItsServerUntilItIsOverloadedWhileAnotherIsUnderHalfLoad() throws Exception {
        InetSocketAddress front = start(Configs.tcp("lblc").server(holding("A"), 4).server(holding("B"), 4));
        // Layer 4: the locality key is the frontend's address, the same for every connection. A keeps it until
        // A.active > 4 while B is under half load; then B takes over (spec 5.5.1-2).
        assertThat(openMany(front, 9)).isEqualTo("AAAAABBBB");
    }
}
