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

    private static JsonNode read(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
