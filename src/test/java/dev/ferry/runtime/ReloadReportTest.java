package dev.ferry.runtime;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 34(a): the reload report says only what changed (backends, servers, routes), and nothing for a
 * reload of the same file.
 */
@Timeout(60)
class ReloadReportTest {
    private Balancer balancer;

    @AfterEach
    void stop() {
        if (balancer != null) {
            balancer.close();
        }
    }

    private static FerryConfig config(int port, String routeBackend, String scheduler, int weight)
            throws ConfigException {
        return ConfigLoader.parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:%d
                    mode: http
                    routes:
                      - { match: { path_prefix: /api/ }, backend: %s }
                      - backend: site
                  - { name: raw, listen: 127.0.0.1:0, mode: tcp, backend: site }
                backends:
                  - name: site
                    scheduler: %s
                    servers:
                      - { name: s1, address: 127.0.0.1:9001, weight: %d }
                      - { name: s2, address: 127.0.0.1:9002 }
                  - name: api
                    servers: [ { name: a1, address: 127.0.0.1:9101 } ]
                  - name: api2
                    servers: [ { name: b1, address: 127.0.0.1:9201 } ]
                """.formatted(port, routeBackend, scheduler, weight), Path.of("reload.yaml"));
    }

    @Test
    void reloadingTheSameFileReportsNothing() throws Exception {
        balancer = new Balancer(config(0, "api", "wrr", 1), 1);
        balancer.start();
        int port = balancer.address("web").getPort();

        ReloadReport report = balancer.reload(config(port, "api", "wrr", 1));

        assertThat(report.changes()).isEmpty();
        assertThat(report).hasToString("nothing changed");
    }

    @Test
    void theReportNamesWhatChangedInBackendsAndRoutes() throws Exception {
        balancer = new Balancer(config(0, "api", "wrr", 1), 1);
        balancer.start();
        int port = balancer.address("web").getPort();

        ReloadReport report = balancer.reload(config(port, "api2", "rr", 3));

        assertThat(report.changes()).containsExactly(
                "backend site: updated (scheduler wrr -> rr, server s1: weight 1 -> 3)",
                "frontend web: updated (route 1: backend api -> api2)");
    }
}
