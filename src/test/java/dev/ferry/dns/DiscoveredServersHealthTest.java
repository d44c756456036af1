package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.HostPort;
import dev.ferry.config.ServerConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Servers found by DNS are health-checked like written ones, also those that join after start. The DNS server is a
 * second Ferry; the found addresses are 127.0.0.1 (a server listens there) and 127.0.0.2/3 (nothing does).
 */
@Timeout(60)
class DiscoveredServersHealthTest {
    private final TestServer up = TestServer.echo("up");
    private Balancer source;
    private Balancer consumer;

    @AfterEach
    void tearDown() {
        if (consumer != null) {
            consumer.close();
        }
        if (source != null) {
            source.close();
        }
        up.close();
    }

    private Optional<Server> server(Backend backend, String address) {
        return backend.server("api@" + address + ":" + up.port());
    }

    @Test
    void activeChecksCoverDiscoveredServersIncludingLaterOnes() throws Exception {
        source = new Balancer(ConfigLoader.parse("""
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: names } ]
                backends:
                  - name: names
                    servers: [ { name: n1, address: 127.0.0.1:80 }, { name: n2, address: 127.0.0.2:80 } ]
                dns:
                  listen: 127.0.0.1:0
                  zones: [ { origin: disco.test, ttl: 1, records: [ { name: api, type: A, backend: names } ] } ]
                """, Path.of("<source>")), 1);
        source.start();
        consumer = new Balancer(ConfigLoader.parse("""
                frontends: [ { name: front, listen: 127.0.0.1:0, backend: apis } ]
                backends:
                  - name: apis
                    resolver: { nameserver: 127.0.0.1:%d, refresh: 1s, timeout: 500ms }
                    health_check: { type: tcp, interval: 100ms, timeout: 500ms, rise: 1, fall: 1 }
                    servers: [ { name: api, address: api.disco.test:%d, resolve: true } ]
                """.formatted(source.dnsAddress().orElseThrow().getPort(), up.port()), Path.of("<consumer>")), 1);
        consumer.start();
        Backend apis = consumer.backends().get("apis");

        await().atMost(Duration.ofSeconds(10)).until(() -> server(apis, "127.0.0.2").map(s -> !s.healthy())
                .orElse(false));
        assertThat(server(apis, "127.0.0.1")).get().extracting(Server::healthy).isEqualTo(true);

        source.backends().get("names").addServer(new ServerConfig("n3", new HostPort("127.0.0.3", 80), 1, 0,
                Optional.empty()));
        await().atMost(Duration.ofSeconds(10)).until(() -> server(apis, "127.0.0.3").map(s -> !s.healthy())
                .orElse(false));
        assertThat(apis.snapshot().servers()).extracting(Server::name)
                .containsExactly("api@127.0.0.1:" + up.port());
    }
}
