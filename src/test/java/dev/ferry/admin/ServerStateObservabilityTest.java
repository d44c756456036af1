package dev.ferry.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.ferry.admin.AdminHarness.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 31: alerts can tell down from maintenance ({@code ferry_backend_server_state{state}}), every change
 * through the admin API is logged with who asked, and a backend left with no server up is logged once at WARN (and
 * once when it recovers). Real health checks against a real server and a closed port, real admin HTTP calls.
 */
@Timeout(60)
class ServerStateObservabilityTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final List<Logger> watched = List.of((Logger) LoggerFactory.getLogger(AdminApi.class),
            (Logger) LoggerFactory.getLogger(Backend.class));
    private AdminHarness ferry;

    @BeforeEach
    void captureLogs() {
        logs.start();
        watched.forEach(l -> l.addAppender(logs));
    }

    @AfterEach
    void tearDown() throws Exception {
        watched.forEach(l -> l.detachAppender(logs));
        if (ferry != null) {
            ferry.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private List<String> lines(Level level, String part) {
        synchronized (logs) {
            return logs.list.stream().filter(e -> e.getLevel() == level)
                    .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(part)).toList();
        }
    }

    private double state(String server, String state) throws Exception {
        return value(ferry.metrics(), "ferry_backend_server_state", "backend", "app", "server", server,
                "state", state);
    }

    private void put(String server, String body) throws Exception {
        HttpResponse<String> r = ferry.call("PUT", "/api/v1/backends/app/servers/" + server, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void statesAreOneHotChangesAreLoggedWithTheClientAndANoServerBackendIsLoggedOnce() throws Exception {
        TestServer live = TestServer.naming("live");
        resources.add(live);
        ferry = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: app }
                backends:
                  - name: app
                    health_check: { type: tcp, interval: 100ms, timeout: 100ms, rise: 1, fall: 1 }
                    servers:
                      - { name: a, address: %s }
                      - { name: b, address: 127.0.0.1:%d }
                """.formatted(live.address(), TestServer.closedPort()));
        Backend app = ferry.balancer.backends().get("app");
        Server b = app.server("b").orElseThrow();

        // b fails its check: down, not maintenance; a is up.
        await().atMost(Duration.ofSeconds(10)).until(() -> !b.healthy());
        assertThat(state("b", "down")).isEqualTo(1);
        assertThat(state("b", "up") + state("b", "drain") + state("b", "maint")).isZero();
        assertThat(state("a", "up")).isEqualTo(1);
        assertThat(value(ferry.metrics(), "ferry_backend_server_up", "backend", "app", "server", "b")).isZero();

        // Maintenance through the API: the gauge says maint, and the log says who asked.
        put("a", "{\"state\": \"maint\"}");
        assertThat(state("a", "maint")).isEqualTo(1);
        assertThat(state("a", "up") + state("a", "down") + state("a", "drain")).isZero();
        assertThat(lines(Level.INFO, "admin 127.0.0.1:")).anyMatch(l -> l.contains("backend 'app' server 'a': maint "
                + "(was up, now maint)"));

        // a in maintenance, b down: no server is up, said once at WARN however many checks fail meanwhile.
        assertThat(lines(Level.WARN, "backend 'app' has no server up")).singleElement().asString()
                .contains("a: maint", "b: down");
        long failedSoFar = ferry.balancer.health().get("app").stats().of(b).checksFailed();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                ferry.balancer.health().get("app").stats().of(b).checksFailed() >= failedSoFar + 5);
        put("a", "{\"weight\": 4}");
        assertThat(lines(Level.WARN, "has no server up")).hasSize(1);
        assertThat(lines(Level.INFO, "server 'a': weight 4 (was 1)")).hasSize(1);

        // Back in service: logged once.
        put("a", "{\"state\": \"ready\"}");
        assertThat(state("a", "up")).isEqualTo(1);
        assertThat(lines(Level.INFO, "backend 'app' has a server up again: a")).hasSize(1);
        assertThat(lines(Level.INFO, "server 'a': ready (was maint, now up)")).hasSize(1);

        // Drain, then servers added and removed at run time.
        put("a", "{\"state\": \"drain\"}");
        assertThat(state("a", "drain")).isEqualTo(1);
        assertThat(lines(Level.WARN, "has no server up")).as("draining a leaves no server up").hasSize(2);
        HttpResponse<String> added = ferry.call("POST", "/api/v1/backends/app/servers",
                "{\"name\": \"c\", \"address\": \"" + live.address() + "\", \"weight\": 2}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(lines(Level.INFO, "backend 'app': added server 'c' (" + live.address() + ", weight 2)"))
                .hasSize(1);
        HttpResponse<String> removed = ferry.call("DELETE", "/api/v1/backends/app/servers/b", null);
        assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
        assertThat(lines(Level.INFO, "backend 'app': removed server 'b'")).singleElement().asString()
                .startsWith("admin 127.0.0.1:");
    }
}
