package dev.ferry.runtime;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.HostPort;
import dev.ferry.config.ServerConfig;
import dev.ferry.health.BackendHealth;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 17 item 5: a reload leaves the checks of a backend whose settings did not change running (the same checks,
 * not new ones), restarts those of a changed backend, and still applies the file to both.
 */
@Timeout(60)
class ReloadKeepsChecksTest {
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

    private TestServer server(String name) {
        TestServer s = TestServer.start(name, sock -> sock.getInputStream().read());
        resources.add(s);
        return s;
    }

    private static FerryConfig config(int port, int weightOfB, TestServer a1, TestServer b1) throws Exception {
        return ConfigLoader.parse("""
                frontends:
                  - { name: fa, listen: 127.0.0.1:%d, mode: tcp, backend: a }
                  - { name: fb, listen: 127.0.0.1:0, mode: tcp, backend: b }
                backends:
                  - name: a
                    health_check: { interval: 100ms, timeout: 1s }
                    servers: [ { name: a1, address: %s } ]
                  - name: b
                    health_check: { interval: 100ms, timeout: 1s }
                    servers: [ { name: b1, address: %s, weight: %d } ]
                """.formatted(port, a1.address(), b1.address(), weightOfB), Path.of("keep.yaml"));
    }

    @Test
    void anUnchangedBackendKeepsItsChecksAndAChangedOneGetsNewOnes() throws Exception {
        TestServer a1 = server("a1");
        TestServer b1 = server("b1");
        balancer = new Balancer(config(0, 1, a1, b1), 1);
        balancer.start();
        int port = balancer.address("fa").getPort();
        BackendHealth checksOfA = balancer.health().get("a");
        BackendHealth checksOfB = balancer.health().get("b");
        // A server added through the admin API: the file does not have it, so the reload takes it out again.
        TestServer extra = server("extra");
        balancer.backends().get("a").addServer(new ServerConfig("extra",
                new HostPort("127.0.0.1", extra.port()), 1, 0, Optional.empty(), Optional.empty()));

        ReloadReport report = balancer.reload(config(port, 3, a1, b1));

        assertThat(report.toString()).contains("backend b: updated").doesNotContain("backend a");
        assertThat(balancer.health().get("a")).isSameAs(checksOfA);
        assertThat(balancer.health().get("b")).isNotSameAs(checksOfB);
        assertThat(balancer.backends().get("b").server("b1").orElseThrow().configuredWeight()).isEqualTo(3);
        assertThat(balancer.backends().get("a").servers()).extracting(s -> s.name()).containsExactly("a1");
        // The kept checks still decide: a1 stops answering and goes down.
        a1.close();
        await().untilAsserted(() -> assertThat(balancer.backends().get("a").server("a1").orElseThrow().healthy())
                .isFalse());
    }
}
