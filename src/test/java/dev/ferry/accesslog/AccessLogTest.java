package dev.ferry.accesslog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** One line per TCP connection, written asynchronously, in text or JSON. */
@Timeout(60)
class AccessLogTest {
    @TempDir
    Path dir;

    private Balancer start(String format, TestServer server, Path log) throws Exception {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                access_log: { path: %s, format: %s }
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                  - { name: dead, listen: 127.0.0.1:0, mode: tcp, backend: nowhere }
                backends:
                  - { name: pool, servers: [ { name: s1, address: %s } ] }
                  - { name: nowhere, servers: [ { name: gone, address: 127.0.0.1:%d } ] }
                """.formatted(log, format, server.address(), TestServer.closedPort()));
        Balancer b = new Balancer(ConfigLoader.load(file), 1);
        b.start();
        return b;
    }

    private static List<String> awaitLines(Path log, int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readAllLines(log).size() >= n);
        try {
            return Files.readAllLines(log);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void jsonLinesDescribeEachConnectionAndHowItEnded() throws Exception {
        Path log = dir.resolve("access.json");
        try (TestServer s = TestServer.naming("hello")) {
            Balancer b = start("json", s, log);
            try {
                InetSocketAddress front = b.address("front");
                assertThat(Clients.readAll(front)).isEqualTo("hello");
                Clients.expectReset(b.address("dead"));
                List<String> lines = awaitLines(log, 2);
                ObjectMapper json = new ObjectMapper();
                JsonNode ok = lines.stream().map(l -> read(json, l)).filter(n -> n.get("frontend").asText().equals("front"))
                        .findFirst().orElseThrow();
                assertThat(ok.get("backend").asText()).isEqualTo("pool");
                assertThat(ok.get("server").asText()).isEqualTo("s1");
                assertThat(ok.get("bytes_out").asLong()).isEqualTo(5);
                assertThat(ok.get("bytes_in").asLong()).isZero();
                assertThat(ok.get("termination").asText()).isEqualTo("server_closed");
                assertThat(ok.get("client").asText()).startsWith("127.0.0.1:");
                assertThat(ok.get("connect_ms").asLong()).isGreaterThanOrEqualTo(0);
                assertThat(ok.get("status").asInt()).isZero();
                JsonNode refused = lines.stream().map(l -> read(json, l))
                        .filter(n -> n.get("frontend").asText().equals("dead")).findFirst().orElseThrow();
                assertThat(refused.get("server").asText()).isEqualTo("gone");
                assertThat(refused.get("termination").asText()).isEqualTo("no_server");
                assertThat(refused.get("connect_ms").asLong()).isEqualTo(-1);
            } finally {
                b.close();
            }
        }
    }

    @Test
    void textLinesAreReadable() throws Exception {
        Path log = dir.resolve("access.log");
        try (TestServer s = TestServer.naming("hi")) {
            Balancer b = start("text", s, log);
            try {
                Clients.readAll(b.address("front"));
                String line = awaitLines(log, 1).get(0);
                assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z 127\\.0\\.0\\.1:\\d+ front pool/s1 - \"-\" in=0 out=2 "
                        + "connect=\\d+ms time=\\d+ms end=server_closed");
            } finally {
                b.close();
            }
        }
    }

    @Test
    void everyHttpRequestIsALineWithItsStatusRequestAndRequestId() throws Exception {
        Path log = dir.resolve("http.json");
        try (TestServer origin = TestServer.start("origin", sock -> {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(sock.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII));
            for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                // read the request head
            }
            sock.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        })) {
            Path file = dir.resolve("http.yaml");
            Files.writeString(file, """
                    access_log: { path: %s, format: json }
                    frontends:
                      - name: web
                        listen: 127.0.0.1:0
                        mode: http
                        routes: [ { match: { path_prefix: /app/ }, backend: app } ]
                    backends:
                      - { name: app, servers: [ { name: o1, address: %s } ] }
                    """.formatted(log, origin.address()));
            Balancer b = new Balancer(ConfigLoader.load(file), 1);
            b.start();
            try (var http = java.net.http.HttpClient.newHttpClient()) {
                String base = "http://127.0.0.1:" + b.address("web").getPort();
                var ok = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/app/x?q=1"))
                        .header("X-Request-Id", "req-42").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(ok.statusCode()).isEqualTo(200);
                var missing = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/nope")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(missing.statusCode()).isEqualTo(404);

                List<String> lines = awaitLines(log, 2);
                ObjectMapper json = new ObjectMapper();
                JsonNode first = read(json, lines.get(0));
                assertThat(first.get("frontend").asText()).isEqualTo("web");
                assertThat(first.get("backend").asText()).isEqualTo("app");
                assertThat(first.get("server").asText()).isEqualTo("o1");
                assertThat(first.get("status").asInt()).isEqualTo(200);
                assertThat(first.get("request").asText()).isEqualTo("GET /app/x?q=1");
                assertThat(first.get("request_id").asText()).isEqualTo("req-42");
                assertThat(first.get("bytes_out").asLong()).isEqualTo(2);
                JsonNode second = read(json, lines.get(1));
                assertThat(second.get("status").asInt()).isEqualTo(404);
                assertThat(second.get("server").asText()).isEqualTo("-");
                assertThat(second.get("termination").asText()).isEqualTo("no_route");
            } finally {
                b.close();
            }
        }
    }

    private static JsonNode read(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
