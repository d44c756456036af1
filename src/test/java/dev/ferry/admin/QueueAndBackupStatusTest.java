package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.GateOrigin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 20 items 5 and 6 as operators see them: a backend's queue in {@code GET /api/v1/status} ({@code queue}) and
 * {@code /metrics} ({@code ferry_backend_queue_length}, {@code ferry_backend_queued_total},
 * {@code ferry_backend_queue_timeouts_total}, {@code ferry_backend_queue_full_total},
 * {@code ferry_backend_queue_wait_seconds}), and backup servers ({@code backup}, {@code serving}), over real HTTP.
 */
@Timeout(90)
class QueueAndBackupStatusTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private AdminHarness ferry;

    @AfterEach
    void tearDown() throws Exception {
        if (ferry != null) {
            ferry.close();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
        client.close();
    }

    private CompletableFuture<HttpResponse<String>> get(String path) {
        int port = ferry.balancer.address("web").getPort();
        return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode backend(JsonNode status, String name) {
        for (JsonNode b : status.get("backends")) {
            if (b.get("name").asText().equals(name)) {
                return b;
            }
        }
        throw new AssertionError("no backend " + name);
    }

    @Test
    void theQueueAndTheBackupsShowInTheStatusApiAndTheMetrics() throws Exception {
        GateOrigin one = GateOrigin.start("one");
        GateOrigin spare = GateOrigin.start("spare");
        closing.add(one);
        closing.add(spare);
        ferry = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                backends:
                  - name: app
                    queue: { size: 1, timeout: 20s }
                    servers:
                      - { name: one, address: %s, max_connections: 1 }
                      - { name: spare, address: %s, backup: true }
                  - name: plain
                    servers: [ { address: 127.0.0.1:9 } ]
                """.formatted(one.address(), spare.address()));

        JsonNode status = ferry.status();
        JsonNode none = backend(status, "plain").get("queue");
        assertThat(none == null || none.isNull()).as("no queue: null").isTrue();
        JsonNode queue = backend(status, "app").get("queue");
        assertThat(queue.get("size").asInt()).isEqualTo(1);
        assertThat(queue.get("timeout_ms").asLong()).isEqualTo(20_000);
        assertThat(queue.get("length").asInt()).isZero();
        JsonNode spareStatus = AdminHarness.server(status, "app", "spare");
        assertThat(spareStatus.get("backup").asBoolean()).isTrue();
        assertThat(spareStatus.get("serving").asBoolean()).as("standing by while the primary is up").isFalse();
        assertThat(AdminHarness.server(status, "app", "one").get("backup").asBoolean()).isFalse();
        assertThat(AdminHarness.server(status, "app", "one").get("serving").asBoolean()).isTrue();

        CompletableFuture<HttpResponse<String>> holder = get("/gate/held");
        await().atMost(WAIT).until(() -> one.held() == 1);
        CompletableFuture<HttpResponse<String>> waiting = get("/gate/waiting");
        await().atMost(WAIT).until(() -> backend(ferry.status(), "app").get("queue").get("length").asInt() == 1);
        assertThat(get("/gate/refused").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);

        String scrape = ferry.metrics();
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_length", "backend", "app")).isEqualTo(1);
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_limit", "backend", "app")).isEqualTo(1);
        assertThat(AdminHarness.value(scrape, "ferry_backend_queued_total", "backend", "app")).isEqualTo(1);
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_full_total", "backend", "app")).isEqualTo(1);
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_timeouts_total", "backend", "app")).isZero();
        assertThat(scrape).doesNotContain("ferry_backend_queue_length{backend=\"plain\"");

        one.pass(2);
        assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(waiting.get(30, TimeUnit.SECONDS).body()).isEqualTo("one /gate/waiting");
        scrape = ferry.metrics();
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_length", "backend", "app")).isZero();
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_wait_seconds_count", "backend", "app"))
                .isEqualTo(1);
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_wait_seconds_sum", "backend", "app"))
                .isPositive();
        assertThat(AdminHarness.value(scrape, "ferry_backend_queue_wait_seconds_bucket", "backend", "app", "le",
                "+Inf")).isEqualTo(1);
        queue = backend(ferry.status(), "app").get("queue");
        assertThat(queue.get("queued_total").asLong()).isEqualTo(1);
        assertThat(queue.get("dispatched_total").asLong()).isEqualTo(1);
        assertThat(queue.get("full_total").asLong()).isEqualTo(1);
        assertThat(queue.get("wait_count").asLong()).isEqualTo(1);

        // The primary goes to maintenance: the backup serves, and says so.
        assertThat(ferry.call("PUT", "/api/v1/backends/app/servers/one", "{\"state\": \"maint\"}").statusCode())
                .isEqualTo(200);
        status = ferry.status();
        assertThat(AdminHarness.server(status, "app", "spare").get("serving").asBoolean()).isTrue();
        assertThat(AdminHarness.server(status, "app", "one").get("serving").asBoolean()).isFalse();
        spare.pass(1);
        assertThat(get("/gate/to-spare").get(30, TimeUnit.SECONDS).body()).isEqualTo("spare /gate/to-spare");

        // A backup added at run time stands by behind the one serving (only the first usable backup serves).
        HttpResponse<String> added = ferry.call("POST", "/api/v1/backends/app/servers",
                "{\"name\": \"late\", \"address\": \"" + one.address() + "\", \"backup\": true}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        status = ferry.status();
        assertThat(AdminHarness.server(status, "app", "late").get("backup").asBoolean()).isTrue();
        assertThat(AdminHarness.server(status, "app", "late").get("serving").asBoolean()).isTrue();
        assertThat(AdminHarness.server(status, "app", "spare").get("serving").asBoolean())
                .as("a server added at run time goes first in the list, so it is the first backup now").isFalse();
        assertThat(ferry.call("POST", "/api/v1/backends/app/servers",
                "{\"name\": \"bad\", \"address\": \"" + one.address() + "\", \"backup\": \"yes\"}")
                .statusCode()).isEqualTo(400);
    }
}
