package dev.ferry;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 15 item 34(e): the start banner names where each frontend sends traffic, http frontends included. */
@Timeout(60)
class StartBannerTest {
    private Balancer balancer;

    @AfterEach
    void stop() {
        if (balancer != null) {
            balancer.close();
        }
    }

    @Test
    void httpFrontendsListTheirRoutesBackendsAndTcpFrontendsTheirBackend() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /api/ }, backend: api }
                      - { match: { host: static.test }, backend: site }
                      - backend: site
                  - { name: one, listen: 127.0.0.1:0, mode: http, routes: [ { backend: api } ] }
                  - { name: raw, listen: 127.0.0.1:0, mode: tcp, backend: site }
                  - name: plain
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path: /health }, return: { status: 200 } }
                      - { redirect: { scheme: https, code: 308 } }
                backends:
                  - name: site
                    scheduler: rr
                    servers: [ { address: 127.0.0.1:9001 }, { address: 127.0.0.1:9002 } ]
                  - name: api
                    servers: [ { address: 127.0.0.1:9101 } ]
                """, Path.of("banner.yaml"));
        balancer = new Balancer(config, 1);
        balancer.start();

        String banner = StartBanner.text(config, balancer, 1, Optional.empty());

        assertThat(banner).doesNotContain("-> backend -");
        assertThat(banner.lines().filter(l -> l.startsWith("  frontend")).map(l -> l.replaceAll(" +", " ")))
                .containsExactly(
                        " frontend web http 127.0.0.1:" + balancer.address("web").getPort()
                                + " -> routes: api (wlc, 1 server), site (rr, 2 servers)",
                        " frontend one http 127.0.0.1:" + balancer.address("one").getPort()
                                + " -> route: api (wlc, 1 server)",
                        " frontend raw tcp 127.0.0.1:" + balancer.address("raw").getPort()
                                + " -> backend site (rr, 2 servers)",
                        " frontend plain http 127.0.0.1:" + balancer.address("plain").getPort()
                                + " -> routes: return, redirect");
    }

    @Test
    void backupServersAndTheQueueAreNamed() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: raw, listen: 127.0.0.1:0, mode: tcp, backend: site }
                backends:
                  - name: site
                    scheduler: rr
                    queue: { size: 50 }
                    servers:
                      - { address: 127.0.0.1:9001, max_connections: 10 }
                      - { address: 127.0.0.1:9002, backup: true }
                """, Path.of("banner.yaml"));
        balancer = new Balancer(config, 1);
        balancer.start();

        assertThat(StartBanner.text(config, balancer, 1, Optional.empty()))
                .contains("-> backend site (rr, 2 servers, 1 of them backup, queue 50)");
    }
}
