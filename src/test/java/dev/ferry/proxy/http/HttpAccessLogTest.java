package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** One access-log line per HTTP request, with its status, route, server, request id and how it ended. */
@Timeout(60)
class HttpAccessLogTest {
    @TempDir
    Path dir;

    @Test
    void everyRequestIsLoggedWithItsRequestIdAndOutcome() throws Exception {
        Path log = dir.resolve("access.json");
        try (TestServer origin = Origin.start("s1", (r, out, s) -> {
            Origin.text(out, 200, "hello");
            return true;
        })) {
            Balancer b = new Balancer(ConfigLoader.parse("""
                    access_log: { path: %s, format: json }
                    frontends:
                      - { name: web, listen: 127.0.0.1:0, mode: http, routes: [ { match: { path_prefix: /app/ }, backend: pool } ] }
                    backends:
                      - { name: pool, servers: [ { name: s1, address: %s } ] }
                    """.formatted(log, origin.address()), Path.of("test.yaml")), 1);
            b.start();
            try (Raw c = new Raw(b.address("web"))) {
                c.send("GET /app/x HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-1\r\n\r\n");
                assertThat(c.read().body()).isEqualTo("hello");
                c.send("GET /other HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-2\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(404);
                c.send("GET /bad\u0001 HTTP/1.1\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(400);
            } finally {
                b.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readAllLines(log).size() >= 3);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.get(0)).contains("\"frontend\":\"web\"", "\"backend\":\"pool\"", "\"server\":\"s1\"",
                "\"status\":200", "\"request\":\"GET /app/x\"", "\"termination\":\"ok\"", "\"request_id\":\"req-1\"",
                "\"bytes_out\":5");
        assertThat(lines.get(1)).contains("\"status\":404", "\"termination\":\"no_route\"", "\"backend\":\"-\"",
                "\"request_id\":\"req-2\"");
        assertThat(lines.get(2)).contains("\"status\":400", "\"termination\":\"bad_request\"");
    }
}
