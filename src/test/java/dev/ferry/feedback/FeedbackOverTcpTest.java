package dev.ferry.feedback;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.FeedbackConfig;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.config.LoadCoefficients;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.Configs;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The balancer polling real agents over loopback: Ferry's own agent and an HAProxy-style one. */
@Timeout(60)
class FeedbackOverTcpTest {
    private static final Duration INTERVAL = Duration.ofMillis(200);

    @TempDir
    Path proc;
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

    private <T extends AutoCloseable> T closeLater(T r) {
        resources.add(r);
        return r;
    }

    /** A host that is almost idle: 5% CPU since boot, a tenth of its memory in use, no disk I/O, load 0.1. */
    private void idleHost() throws IOException {
        Files.writeString(proc.resolve("stat"), "cpu  50 0 0 950 0 0 0 0 0 0\ncpu0 50 0 0 950 0 0 0 0 0 0\n");
        Files.writeString(proc.resolve("meminfo"), "MemTotal: 1000 kB\nMemAvailable: 900 kB\n");
        Files.writeString(proc.resolve("diskstats"), "   8 0 sda 1 0 8 1 1 0 8 1 0 10 2 0 0 0 0\n");
        Files.writeString(proc.resolve("loadavg"), "0.10 0.10 0.10 1/100 1234\n");
    }

    @Test
    void weightsFollowTheAgentsAndDropTo0WhileTheAgentIsSilent() throws Exception {
        idleHost();
        LoadAgent agent = new LoadAgent(new ProcLoadSampler(proc, () -> System.nanoTime() / 1_000_000));
        InetSocketAddress agentAddress = agent.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        assertThat(Clients.readAll(agentAddress))
                .isEqualTo("up cpu=0.050 mem=0.100 io=0.000 procs=100 running=1 load1=0.10 cpus=1\n");

        TestServer a = closeLater(TestServer.naming("A"));
        balancer = new Balancer(Configs.tcp("wrr").server(a, 10)
                .feedback(new FeedbackConfig(true, INTERVAL, agentAddress.getPort(), LoadCoefficients.DEFAULT))
                .build(), 1);
        balancer.start();
        Backend pool = balancer.backends().get("pool");
        Server serverA = pool.server("A").orElseThrow();

        await().atMost(Duration.ofSeconds(10)).until(() -> serverA.weight() > 10);
        assertThat(serverA.configuredWeight()).isEqualTo(10);
        assertThat(Clients.readAll(balancer.address("front"))).isEqualTo("A");

        int port = agentAddress.getPort();
        agent.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> serverA.weight() == 0);
        assertThat(balancer.feedback().get("pool").weight(serverA)).isZero();

        LoadAgent again = closeLater(new LoadAgent(new ProcLoadSampler(proc, () -> System.nanoTime() / 1_000_000)));
        again.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        await().atMost(Duration.ofSeconds(10)).until(() -> serverA.weight() > 0);
        assertThat(Clients.readAll(balancer.address("front"))).isEqualTo("A");
    }

    @Test
    void anHaproxyAgentCheckDrainsAndTakesDownWithoutFeedback() throws Exception {
        AtomicReference<String> says = new AtomicReference<>("up 100%\n");
        TestServer haproxyAgent = closeLater(TestServer.start("agent", s -> {
            s.getOutputStream().write(says.get().getBytes(StandardCharsets.US_ASCII));
            s.close();
        }));
        TestServer a = closeLater(TestServer.naming("A"));
        TestServer b = closeLater(TestServer.naming("B"));
        HealthCheckConfig agentCheck = new HealthCheckConfig(new HealthCheckConfig.AgentCheck(), Duration.ofMillis(100),
                Duration.ofMillis(500), 1, 2, Optional.of(haproxyAgent.port()));
        balancer = new Balancer(Configs.tcp("wrr").server(a, 4).server(b, 4).healthCheck(agentCheck).build(), 1);
        balancer.start();
        Backend pool = balancer.backends().get("pool");
        Server serverA = pool.server("A").orElseThrow();

        says.set("up 50%\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> serverA.weight() == 2);
        says.set("drain # deploy\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> serverA.weight() == 0);
        assertThat(serverA.healthy()).as("a draining server is up with weight 0").isTrue();
        says.set("down\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> !serverA.healthy());
        assertThat(balancer.health().get("pool").stats().of(serverA).lastReason()).isEqualTo("agent says down");
        says.set("ready\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> serverA.healthy() && serverA.weight() == 2);
    }
}
