package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.backend.Server;
import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.ferry.admin.AdminHarness.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 16a: a server that outlier detection took out shows {@code "state": "ejected"} with how long it stays
 * out, in the status API and in {@code ferry_backend_server_state}, not "up". Real connections through a tcp frontend
 * to a closed port eject it; real admin HTTP calls read what operators see.
 */
@Timeout(60)
class EjectedStateTest {
    @TempDir
    Path dir;
    private TestServer live;
    private AdminHarness ferry;

    @AfterEach
    void tearDown() {
        if (ferry != null) {
            ferry.close();
        }
        if (live != null) {
            live.close();
        }
    }

    private double state(String server, String state) throws Exception {
        return value(ferry.metrics(), "ferry_backend_server_state", "backend", "app", "server", server,
                "state", state);
    }

    @Test
    void anEjectedServerSaysSoAndForHowLongInTheStatusApiAndTheStateMetric() throws Exception {
        live = TestServer.naming("live");
        ferry = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: app }
                backends:
                  - name: app
                    scheduler: rr
                    retries: 1
                    outlier: { consecutive_failures: 1, ejection: 10m, max_ejected_percent: 50 }
                    servers:
                      - { name: a, address: %s }
                      - { name: dead, address: 127.0.0.1:%d }
                """.formatted(live.address(), TestServer.closedPort()));
        Server dead = ferry.balancer.backends().get("app").server("dead").orElseThrow();

        for (int i = 0; i < 4 && !dead.ejected(); i++) {
            assertThat(Clients.readAll(ferry.balancer.address("front"))).isEqualTo("live");
        }
        await().atMost(Duration.ofSeconds(10)).until(dead::ejected);

        JsonNode s = AdminHarness.server(ferry.status(), "app", "dead");
        assertThat(s.path("state").asText()).isEqualTo("ejected");
        assertThat(s.path("ejection_remaining_ms").isNumber()).as(s.toString()).isTrue();
        assertThat(s.path("ejection_remaining_ms").asLong()).isBetween(1L, Duration.ofMinutes(10).toMillis());
        assertThat(s.path("health").path("ejections").asLong()).isEqualTo(1);
        JsonNode a = AdminHarness.server(ferry.status(), "app", "a");
        assertThat(a.path("state").asText()).isEqualTo("up");
        assertThat(a.path("ejection_remaining_ms").isNull()).isTrue();

        assertThat(state("dead", "ejected")).isEqualTo(1);
        assertThat(state("dead", "up") + state("dead", "down") + state("dead", "drain") + state("dead", "maint"))
                .isZero();
        assertThat(value(ferry.metrics(), "ferry_backend_server_up", "backend", "app", "server", "dead"))
                .as("an ejected server takes no new connections").isZero();
        assertThat(state("a", "ejected")).isZero();
        assertThat(state("a", "up")).isEqualTo(1);
    }
}
