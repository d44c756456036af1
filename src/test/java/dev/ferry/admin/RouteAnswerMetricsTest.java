package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static dev.ferry.admin.AdminHarness.value;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 20 item 8: requests a route answers itself are in the request metrics: by action in
 * {@code ferry_http_route_answers_total{frontend,action}}, timed under {@code backend="-"}, and in the status API's
 * {@code requests_total}. The client is the JDK's HttpClient, which does not follow redirects by default.
 */
@Timeout(60)
class RouteAnswerMetricsTest {
    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newHttpClient();
    private AdminHarness ferry;

    @AfterEach
    void tearDown() {
        if (ferry != null) {
            ferry.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ferry.balancer.address("web").getPort()
                + path)).build();
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routeAnswersAreCountedByActionAndTimedUnderNoBackend() throws Exception {
        ferry = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path: /ping }, return: { status: 200, body: pong } }
                      - { redirect: { scheme: https, code: 308 } }
                backends:
                  - { name: unused, servers: [ { address: 127.0.0.1:9 } ] }
                """);
        HttpResponse<String> moved = get("/a?b");
        assertThat(moved.statusCode()).isEqualTo(308);
        assertThat(moved.headers().firstValue("location")).contains("https://127.0.0.1/a?b");
        assertThat(get("/b").statusCode()).isEqualTo(308);
        HttpResponse<String> pong = get("/ping");
        assertThat(pong.statusCode()).isEqualTo(200);
        assertThat(pong.body()).isEqualTo("pong");

        String m = ferry.metrics();
        assertThat(value(m, "ferry_http_route_answers_total", "frontend", "web", "action", "redirect")).isEqualTo(2);
        assertThat(value(m, "ferry_http_route_answers_total", "frontend", "web", "action", "return")).isEqualTo(1);
        assertThat(value(m, "ferry_request_duration_seconds_count", "frontend", "web", "backend", "-"))
                .isEqualTo(3);
        JsonNode web = AdminHarness.frontend(ferry.status(), "web");
        assertThat(web.get("requests_total").asLong()).isEqualTo(3);
    }
}
