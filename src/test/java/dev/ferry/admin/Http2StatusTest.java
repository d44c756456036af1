package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.testing.HoldingOrigin;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * HTTP/2 in the operator's views (issue 18 item 7): the requests by protocol, and the HTTP/2 connections and streams
 * open now, of an http frontend in {@code GET /api/v1/status} ({@code requests_by_protocol}, {@code http2}) and in
 * {@code /metrics} ({@code ferry_http_requests_total{protocol}}, {@code ferry_http2_active_connections},
 * {@code ferry_http2_active_streams}), with real clients: nghttp (h2c, several streams on one connection) and the
 * JDK's HTTP/1.1 client, through a real Ferry to an origin that holds requests while the test looks.
 */
@Timeout(90)
class Http2StatusTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final HoldingOrigin origin = HoldingOrigin.start("o1");
    @TempDir
    Path dir;
    private Balancer balancer;
    private AdminServer admin;
    private Process client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.destroyForcibly();
        }
        origin.release();
        if (admin != null) {
            admin.close();
        }
        if (balancer != null) {
            balancer.close();
        }
        origin.close();
    }

    private void start() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: site }
                backends:
                  - name: site
                    servers: [ { name: o1, address: %s } ]
                """.formatted(origin.address()), dir.resolve("ferry.yaml"));
        balancer = new Balancer(config, 1);
        balancer.start();
        admin = AdminServer.start(config, balancer, new Reloader(balancer, null), "test");
    }

    private String web(String path) {
        return "http://127.0.0.1:" + balancer.address("web").getPort() + path;
    }

    /** nghttp with one h2c connection and a stream for each path, its output in a file. */
    private Process nghttp(String... paths) throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        String[] command = new String[paths.length + 2];
        command[0] = "nghttp";
        command[1] = "-n";
        for (int i = 0; i < paths.length; i++) {
            command[i + 2] = web(paths[i]);
        }
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nghttp.out").toFile()).start();
    }

    private String admin(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + admin.address().getPort() + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private JsonNode frontend() throws Exception {
        JsonNode f = AdminApi.JSON.readTree(admin("/api/v1/status")).path("frontends").get(0);
        assertThat(f.path("name").asText()).isEqualTo("web");
        return f;
    }

    /** The value of one series of /metrics, e.g. {@code ferry_http2_active_streams{frontend="web"}}. */
    private double metric(String series) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(admin("/metrics"));
        assertThat(m.find()).as("series %s in /metrics", series).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private void assertOpen(long connections, long streams) throws Exception {
        JsonNode h2 = frontend().path("http2");
        assertThat(h2.path("active_connections").asLong()).as("active_connections").isEqualTo(connections);
        assertThat(h2.path("active_streams").asLong()).as("active_streams").isEqualTo(streams);
        assertThat(metric("ferry_http2_active_connections{frontend=\"web\"}")).isEqualTo(connections);
        assertThat(metric("ferry_http2_active_streams{frontend=\"web\"}")).isEqualTo(streams);
    }

    @Test
    void streamsInFlightShowAsOpenAndRequestsAreCountedByProtocol() throws Exception {
        start();
        assertOpen(0, 0);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(web("/"))).build(),
                HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("o1");

        client = nghttp("/hold/1", "/hold/2", "/hold/3");

        // One connection, three streams open while the origin holds their requests.
        await().atMost(WAIT).until(() -> origin.held() == 3);
        await().atMost(WAIT).untilAsserted(() -> assertOpen(1, 3));
        JsonNode byProtocol = frontend().path("requests_by_protocol");
        assertThat(byProtocol.path("h2").asLong()).isEqualTo(3);
        assertThat(byProtocol.path("http/1.1").asLong()).isEqualTo(1);
        assertThat(metric("ferry_http_requests_total{frontend=\"web\",protocol=\"h2\"}")).isEqualTo(3);
        assertThat(metric("ferry_http_requests_total{frontend=\"web\",protocol=\"http/1.1\"}")).isEqualTo(1);

        origin.release();
        assertThat(client.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(client.exitValue()).as(Files.readString(dir.resolve("nghttp.out"), StandardCharsets.UTF_8))
                .isZero();

        // Answered and gone: nothing open, the counts stay.
        await().atMost(WAIT).untilAsserted(() -> assertOpen(0, 0));
        assertThat(frontend().path("requests_by_protocol").path("h2").asLong()).isEqualTo(3);
    }

    @Test
    void aClientThatDiesWithStreamsOpenLeavesNoneCounted() throws Exception {
        start();
        client = nghttp("/hold/a", "/hold/b");
        await().atMost(WAIT).until(() -> origin.held() == 2);
        await().atMost(WAIT).untilAsserted(() -> assertOpen(1, 2));

        client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

        // The origin still holds both requests; the client's connection and its streams are gone all the same.
        await().atMost(WAIT).untilAsserted(() -> assertOpen(0, 0));
        assertThat(frontend().path("active_connections").asInt()).isZero();
    }
}
