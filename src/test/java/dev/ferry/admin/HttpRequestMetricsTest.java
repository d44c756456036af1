package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.ferry.admin.AdminHarness.value;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 30: per-request HTTP metrics. Real requests through an http frontend, then {@code /metrics}
 * ({@code ferry_backend_server_requests_total{backend,server,code_class}}, {@code ferry_request_duration_seconds})
 * and the status API (each server's {@code requests}).
 */
@Timeout(60)
class HttpRequestMetricsTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final HttpClient client = HttpClient.newHttpClient();
    private AdminHarness ferry;

    @AfterEach
    void tearDown() throws Exception {
        if (ferry != null) {
            ferry.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** A keep-alive origin: {@code /missing} is 404, {@code /fail} 503, {@code /slow} answers after 120 ms. */
    private TestServer origin() {
        TestServer s = TestServer.start("origin", socket -> {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            for (String line; (line = in.readLine()) != null; ) {
                String path = line.split(" ")[1];
                while (!(line = in.readLine()).isEmpty()) {
                    // skip the header fields
                }
                int status = switch (path) {
                    case "/missing" -> 404;
                    case "/fail" -> 503;
                    default -> 200;
                };
                if (path.equals("/slow")) {
                    try {
                        Thread.sleep(120); // the origin is slow: that is what the histogram must show
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                out.write(("HTTP/1.1 " + status + " X\r\nContent-Length: 2\r\n\r\nok")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        });
        resources.add(s);
        return s;
    }

    private int get(String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://" + ferry.balancer.address("web").getHostString()
                + ":" + ferry.balancer.address("web").getPort() + path)).build();
        return client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void requestsAreCountedByServerAndStatusClassAndTimedByFrontendAndBackend() throws Exception {
        TestServer origin = origin();
        ferry = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /dead }, backend: dead }
                      - { backend: app }
                backends:
                  - { name: app, servers: [ { name: o1, address: %s } ] }
                  - { name: dead, retries: 0, servers: [ { name: gone, address: 127.0.0.1:%d } ] }
                """.formatted(origin.address(), TestServer.closedPort()));

        for (int i = 0; i < 20; i++) {
            assertThat(get("/ok")).isEqualTo(200);
        }
        assertThat(get("/missing")).isEqualTo(404);
        assertThat(get("/fail")).isEqualTo(503);
        assertThat(get("/slow")).isEqualTo(200);
        assertThat(get("/dead")).isEqualTo(502);

        String m = ferry.metrics();
        assertThat(value(m, "ferry_backend_server_requests_total", "backend", "app", "server", "o1",
                "code_class", "2xx")).isEqualTo(21);
        assertThat(value(m, "ferry_backend_server_requests_total", "backend", "app", "server", "o1",
                "code_class", "4xx")).isEqualTo(1);
        assertThat(value(m, "ferry_backend_server_requests_total", "backend", "app", "server", "o1",
                "code_class", "5xx")).isEqualTo(1);
        assertThat(value(m, "ferry_backend_server_requests_total", "backend", "app", "server", "o1",
                "code_class", "other")).isZero();
        assertThat(value(m, "ferry_backend_server_requests_total", "backend", "dead", "server", "gone",
                "code_class", "5xx")).isEqualTo(1);
        // The client kept one connection and Ferry one pooled server connection: requests, not connections, count.
        assertThat(value(m, "ferry_backend_server_connections_total", "backend", "app", "server", "o1")).isEqualTo(1);

        assertThat(value(m, "ferry_request_duration_seconds_count", "frontend", "web", "backend", "app"))
                .isEqualTo(23);
        assertThat(value(m, "ferry_request_duration_seconds_bucket", "frontend", "web", "backend", "app",
                "le", "+Inf")).isEqualTo(23);
        assertThat(value(m, "ferry_request_duration_seconds_bucket", "frontend", "web", "backend", "app",
                "le", "0.1")).as("the slow request is above 0.1 s (a loaded machine may push others up too)")
                .isBetween(1.0, 22.0);
        assertThat(value(m, "ferry_request_duration_seconds_sum", "frontend", "web", "backend", "app"))
                .isGreaterThanOrEqualTo(0.12);
        assertThat(value(m, "ferry_request_duration_seconds_count", "frontend", "web", "backend", "dead"))
                .isEqualTo(1);
        assertThat(m).contains("# TYPE ferry_request_duration_seconds histogram");

        JsonNode status = ferry.status();
        JsonNode o1 = AdminHarness.server(status, "app", "o1");
        assertThat(o1.get("requests").get("total").asLong()).isEqualTo(23);
        assertThat(o1.get("requests").get("by_class").get("2xx").asLong()).isEqualTo(21);
        assertThat(o1.get("requests").get("duration_le_ms").get(0).asDouble()).isEqualTo(0.5);
        long counted = 0;
        for (JsonNode c : o1.get("requests").get("duration_counts")) {
            counted += c.asLong();
        }
        assertThat(counted).isEqualTo(23);
        assertThat(status.get("backends").get(0).get("http").asBoolean()).isTrue();
    }
}
