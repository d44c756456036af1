package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.HostPort;
import dev.ferry.config.ServerConfig;
import dev.ferry.config.OutlierConfig;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.Configs;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Active and passive health through the real balancer: real event loops, real sockets on loopback, real time (short
 * intervals), real client connections through the TCP proxy.
 */
@Timeout(60)
class HealthChecksOverTcpTest {
    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static final int RISE = 2;
    private static final int FALL = 3;
    /**
     * The test machine is shared (load average around 10 on 2 cores when this was written, which made timers and the
     * polling thread up to ~70 ms late): allow this much scheduling delay on top of the bound under test. The exact
     * bound is proven on a hand-driven timeline in ActiveCheckTimelineTest.
     */
    private static final Duration SLACK = Duration.ofMillis(300);

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

    private TestServer server(TestServer s) {
        resources.add(s);
        return s;
    }

    private InetSocketAddress start(FerryConfig config) throws Exception {
        balancer = new Balancer(config, 2);
        balancer.start();
        return balancer.address("front");
    }

    @Test
    void aServerThatDiesIsOutWithinFallIntervalsAndBackWithinRiseIntervalsForRealTraffic() throws Exception {
        TestServer a = server(TestServer.naming("A"));
        TestServer b = server(TestServer.naming("B"));
        int portA = a.port();
        InetSocketAddress front = start(Configs.tcp("rr").server(a, 1).server(b, 1)
                .healthCheck(Checks.tcp(INTERVAL, Duration.ofMillis(150), RISE, FALL)).build());
        Backend pool = balancer.backends().get("pool");
        Server serverA = pool.server("A").orElseThrow();
        ServerHealth healthA = balancer.health().get("pool").stats().of(serverA);
        await().atMost(Duration.ofSeconds(5)).until(() -> healthA.checksPassed() >= 1);

        a.close();
        long died = System.nanoTime();
        await().atMost(INTERVAL.multipliedBy(FALL).plus(SLACK)).pollInterval(Duration.ofMillis(5))
                .until(() -> !serverA.healthy());
        Duration out = Duration.ofNanos(System.nanoTime() - died);
        assertThat(pool.snapshot().servers()).extracting(Server::name).containsExactly("B");
        assertThat(healthA.lastReason()).isEqualTo("connection refused");
        System.out.printf("server A out %d ms after it died (interval %d ms x fall %d)%n", out.toMillis(),
                INTERVAL.toMillis(), FALL);

        FrontendStats stats = balancer.frontends().get(0).stats();
        long retriesBefore = stats.retries();
        for (int i = 0; i < 10; i++) {
            assertThat(Clients.readAll(front)).isEqualTo("B");
        }
        assertThat(stats.retries()).as("no connection even tried the dead server").isEqualTo(retriesBefore);

        TestServer revived = server(TestServer.naming("A", portA));
        long back = System.nanoTime();
        await().atMost(INTERVAL.multipliedBy(RISE).plus(SLACK)).pollInterval(Duration.ofMillis(5))
                .until(serverA::healthy);
        System.out.printf("server A back %d ms after it answered again (interval %d ms x rise %d)%n",
                Duration.ofNanos(System.nanoTime() - back).toMillis(), INTERVAL.toMillis(), RISE);
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            seen.append(Clients.readAll(front));
        }
        assertThat(seen.toString()).contains("A").contains("B");
        assertThat(revived.accepted()).isGreaterThanOrEqualTo(2 + RISE);
        assertThat(healthA.transitions()).isEqualTo(2);
    }

    @Test
    void connectFailuresThroughTheProxyEjectTheServerButNoMoreThanTheCapAllows() throws Exception {
        TestServer a = server(TestServer.naming("A"));
        int deadPort1 = TestServer.closedPort();
        int deadPort2 = TestServer.closedPort();
        InetSocketAddress front = start(Configs.tcp("rr").server(a, 1)
                .server("dead1", "127.0.0.1:" + deadPort1, 1).server("dead2", "127.0.0.1:" + deadPort2, 1)
                .retries(2).outlier(new OutlierConfig(2, Duration.ofSeconds(30), 50)).build());
        Backend pool = balancer.backends().get("pool");
        FrontendStats stats = balancer.frontends().get(0).stats();

        for (int i = 0; i < 6; i++) {
            assertThat(Clients.readAll(front)).isEqualTo("A");
        }

        // Ejection is decided on the health thread, just after the failures that cause it.
        await().atMost(Duration.ofSeconds(5)).until(() -> pool.servers().stream().anyMatch(Server::ejected));
        List<String> ejected = pool.servers().stream().filter(Server::ejected).map(Server::name).toList();
        assertThat(ejected).as("50% of 3 servers: one may be out").hasSize(1);
        assertThat(pool.snapshot().servers()).hasSize(2);
        String stillIn = pool.servers().stream().filter(s -> !s.ejected() && !s.name().equals("A"))
                .map(Server::name).findFirst().orElseThrow();
        assertThat(pool.server(stillIn).orElseThrow().failures()).isGreaterThanOrEqualTo(2);

        Server out = pool.server(ejected.get(0)).orElseThrow();
        Server in = pool.server(stillIn).orElseThrow();
        long outFailures = out.failures();
        long inFailures = in.failures();
        long retriesBefore = stats.retries();
        for (int i = 0; i < 6; i++) {
            assertThat(Clients.readAll(front)).isEqualTo("A");
        }
        assertThat(out.failures()).as("the ejected server is never tried").isEqualTo(outFailures);
        assertThat(in.failures() - inFailures).as("the dead server the cap keeps in is still tried")
                .isEqualTo(stats.retries() - retriesBefore).isPositive();
        assertThat(balancer.health().get("pool").stats().of(out).ejections()).isEqualTo(1);
    }

    @Test
    void aReloadRestartsTheChecksWithoutForgettingWhoIsDownAndLetsEjectedServersBack() throws Exception {
        TestServer a = server(TestServer.naming("A"));
        TestServer b = server(TestServer.naming("B"));
        int deadPort = TestServer.closedPort();
        Configs config = Configs.tcp("rr").server(a, 1).server(b, 1).server("dead", "127.0.0.1:" + deadPort, 1)
                .outlier(new OutlierConfig(1, Duration.ofMinutes(10), 50));
        InetSocketAddress front = start(config.build());
        Backend pool = balancer.backends().get("pool");
        Server dead = pool.server("dead").orElseThrow();
        for (int i = 0; i < 3; i++) {
            assertThat(Clients.readAll(front)).isIn("A", "B");
        }
        await().atMost(Duration.ofSeconds(5)).until(dead::ejected);

        balancer.reload(config.healthCheck(Checks.tcp(INTERVAL, Duration.ofMillis(150), RISE, FALL)).build());

        await().atMost(Duration.ofSeconds(5)).until(() -> !dead.ejected());
        await().atMost(INTERVAL.multipliedBy(FALL).plus(SLACK)).pollInterval(Duration.ofMillis(5))
                .until(() -> !dead.healthy());
        assertThat(pool.snapshot().servers()).extracting(Server::name).containsExactly("A", "B");

        balancer.reload(config.retries(3).build());
        assertThat(dead.healthy()).as("a reload keeps the verdict until a check says otherwise").isFalse();
        ServerHealth deadHealth = balancer.health().get("pool").stats().of(dead);
        long failedBefore = deadHealth.checksFailed();
        assertThat(failedBefore).as("counts outlive a reload").isGreaterThanOrEqualTo(FALL);
        await().atMost(Duration.ofSeconds(5)).until(() -> deadHealth.checksFailed() > failedBefore);
        assertThat(dead.healthy()).isFalse();

        balancer.reload(Configs.tcp("rr").server(a, 1).server(b, 1).server("dead", "127.0.0.1:" + deadPort, 1)
                .build());
        assertThat(dead.healthy()).as("without health_check servers are assumed up").isTrue();
        assertThat(deadHealth.up()).isTrue();
        assertThat(deadHealth.lastReason()).isEqualTo("no active check");
    }

    @Test
    void aServerAddedAtRunTimeIsCheckedAndARemovedOneNoLonger() throws Exception {
        TestServer a = server(TestServer.naming("A"));
        start(Configs.tcp("rr").server(a, 1)
                .healthCheck(Checks.tcp(INTERVAL, Duration.ofMillis(150), RISE, FALL)).build());
        Backend pool = balancer.backends().get("pool");
        int deadPort = TestServer.closedPort();

        Server added = pool.addServer(new ServerConfig("late", new HostPort("127.0.0.1", deadPort), 1, 0,
                Optional.empty()));

        await().atMost(INTERVAL.multipliedBy(FALL).plus(SLACK)).pollInterval(Duration.ofMillis(5))
                .until(() -> !added.healthy());
        ServerHealth health = balancer.health().get("pool").stats().of(added);
        pool.removeServer("late");
        long checks = health.checksFailed();
        // For three intervals no more checks run (at most the one already under way finishes).
        await().during(INTERVAL.multipliedBy(3)).atMost(INTERVAL.multipliedBy(5))
                .until(() -> health.checksFailed() <= checks + 1);
    }
}
