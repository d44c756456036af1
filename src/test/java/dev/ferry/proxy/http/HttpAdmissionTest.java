package dev.ferry.proxy.http;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.proxy.admission.RuleStats;
import dev.ferry.testing.HoldingOrigin;
import dev.ferry.testing.ManualLoopClock;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Access rules and request limits at layer 7 through real clients (curl bound to a source address, plain sockets,
 * the JDK client over ::1): a denied source gets 403 from the frontend before routing and from a route after it, a
 * client over its rate gets 429 with Retry-After while another source (or another header key) is unaffected, the
 * bucket refills as the frontend's (hand-driven) clock moves, and concurrent requests per key are capped.
 */
@Timeout(60)
class HttpAdmissionTest {
    private static final InetAddress A = address("127.0.0.2");
    private static final InetAddress B = address("127.0.0.3");

    @TempDir
    Path dir;
    private final Transport transport = new Transport(2);
    private final ManualLoopClock clock = new ManualLoopClock();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private HttpFrontend frontend;
    private Backend pool;

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
        if (frontend != null) {
            frontend.stopAccepting();
            frontend.closeAll();
        }
        transport.close();
    }

    private FerryConfig config(String frontendYaml, String server) throws Exception {
        return ConfigLoader.parse(frontendYaml + """
                backends:
                  - { name: pool, servers: [ { address: %s } ] }
                """.formatted(server), dir.resolve("ferry.yaml"));
    }

    private InetSocketAddress start(String frontendYaml, String server) throws Exception {
        FerryConfig config = config(frontendYaml, server);
        pool = new Backend(config.backends().getFirst());
        frontend = new HttpFrontend(config.frontends().getFirst(), Map.of("pool", pool), transport, AccessLog.NONE,
                Optional.empty(), clock::on);
        return frontend.start();
    }

    private TestServer origin() {
        TestServer s = Origin.naming("origin");
        resources.add(s);
        return s;
    }

    /** One GET from {@code local} on a connection of its own; extra header lines as "Name: value". */
    private Raw.Response get(InetAddress local, InetSocketAddress front, String path, String... headers)
            throws Exception {
        try (Raw c = new Raw(front, local)) {
            StringBuilder r = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: x\r\n");
            for (String h : headers) {
                r.append(h).append("\r\n");
            }
            return c.send(r.append("\r\n").toString()).read();
        }
    }

    /** curl from {@code local}: the status line and headers of the response (-i), then the body. */
    private static String curl(InetAddress local, InetSocketAddress front, String path) throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        Process p = new ProcessBuilder("curl", "-s", "-i", "--max-time", "20", "--interface",
                local.getHostAddress(), "http://127.0.0.1:" + front.getPort() + path).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("curl's exit status; output: %s", out).isZero();
        return out;
    }

    private RuleStats rule(String name) {
        return frontend.admissionStats().rule(name);
    }

    @Test
    void aSourceTheFrontendDeniesGets403BeforeRoutingAndTheServerNeverSeesIt() throws Exception {
        TestServer origin = origin();
        InetSocketAddress front = start("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    deny: [127.0.0.3]
                    routes: [ { match: { path_prefix: /known/ }, backend: pool } ]
                """, origin.address());

        assertThat(curl(B, front, "/known/x")).startsWith("HTTP/1.1 403 Forbidden")
                .contains("403 Forbidden: this client's address may not use this service");
        assertThat(get(B, front, "/nowhere").status()).as("refused before routing: 403, not 404").isEqualTo(403);
        assertThat(origin.accepted()).isZero();
        Raw.Response ok = get(A, front, "/known/x");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("origin");
        assertThat(get(A, front, "/nowhere").status()).isEqualTo(404);
        assertThat(rule("frontend").deniedCount()).isEqualTo(2);
    }

    @Test
    void aRouteAllowListRefusesOthersAfterRoutingOnly() throws Exception {
        TestServer origin = origin();
        InetSocketAddress front = start("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /admin/ }, backend: pool, allow: [127.0.0.2/32, "::1"] }
                      - backend: pool
                """, origin.address());

        assertThat(get(B, front, "/admin/users").status()).isEqualTo(403);
        assertThat(get(B, front, "/public").status()).as("B may use the other route").isEqualTo(200);
        assertThat(get(A, front, "/admin/users").status()).isEqualTo(200);
        assertThat(rule("routes[0]").deniedCount()).isEqualTo(1);
        assertThat(rule("frontend").deniedCount()).isZero();
    }

    @Test
    void ipv6SourcesAreMatchedAndAReconfigureAppliesToTheNextRequest() throws Exception {
        TestServer origin = origin();
        String denied = """
                frontends:
                  - { name: web, listen: "[::1]:0", mode: http, backend: pool, deny: ["::1/128"] }
                """;
        InetSocketAddress front = start(denied, origin.address());
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://[::1]:" + front.getPort() + "/"))
                .timeout(Duration.ofSeconds(20)).build();
        assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);

        frontend.reconfigure(config("""
                frontends:
                  - { name: web, listen: "[::1]:0", mode: http, backend: pool, allow: ["::1"], deny: [10.0.0.0/8] }
                """, origin.address()).frontends().getFirst(), Map.of("pool", pool));
        HttpResponse<String> ok = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("origin");
        client.close();
    }

    @Test
    void overItsRateAClientGets429WithRetryAfterAnotherSourceIsUnaffectedAndTheBucketRefills() throws Exception {
        TestServer origin = origin();
        InetSocketAddress front = start("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /api/ }, backend: pool,
                          rate_limit: { key: source_ip, requests_per_second: 1, burst: 2 } }
                      - backend: pool
                """, origin.address());

        assertThat(get(A, front, "/api/1").status()).isEqualTo(200);
        assertThat(get(A, front, "/api/2").status()).isEqualTo(200);
        String limited = curl(A, front, "/api/3");
        assertThat(limited).startsWith("HTTP/1.1 429 Too Many Requests").containsIgnoringCase("retry-after: 1\r\n");
        assertThat(get(A, front, "/other").status()).as("other routes have no limit").isEqualTo(200);
        assertThat(get(B, front, "/api/1").status()).as("another source has its own bucket").isEqualTo(200);

        // Time stands still: no refill until the clock moves; one interval (1 s) gives back one request.
        assertThat(get(A, front, "/api/4").status()).isEqualTo(429);
        clock.advance(Duration.ofSeconds(1));
        assertThat(get(A, front, "/api/5").status()).isEqualTo(200);
        Raw.Response again = get(A, front, "/api/6");
        assertThat(again.status()).isEqualTo(429);
        assertThat(again.header("Retry-After")).isEqualTo("1");
        clock.advance(Duration.ofSeconds(5));
        assertThat(get(A, front, "/api/7").status()).isEqualTo(200);
        assertThat(get(A, front, "/api/8").status()).as("refilled to the burst of 2, no further").isEqualTo(200);
        assertThat(get(A, front, "/api/9").status()).isEqualTo(429);

        RuleStats r = rule("routes[0]");
        assertThat(r.limitedCount()).isEqualTo(4);
        assertThat(r.allowedCount()).isEqualTo(6);
        assertThat(r.trackedKeys(clock.nanoTime())).isEqualTo(2);
    }

    @Test
    void aHeaderKeyedLimitCountsEachKeyApartAndTheStatusIsConfigurable() throws Exception {
        TestServer origin = origin();
        InetSocketAddress front = start("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    rate_limit: { key: "header:X-Api-Key", requests_per_second: 0.01, burst: 1, status: 503 }
                """, origin.address());

        assertThat(get(A, front, "/", "X-Api-Key: k1").status()).isEqualTo(200);
        Raw.Response over = get(A, front, "/", "X-Api-Key: k1");
        assertThat(over.status()).isEqualTo(503);
        assertThat(over.header("Retry-After")).as("one request per 100 s").isEqualTo("100");
        assertThat(get(A, front, "/", "X-Api-Key: k2").status()).as("same source, another key").isEqualTo(200);
        assertThat(get(B, front, "/", "X-Api-Key: k1").status()).as("the key, not the source, counts")
                .isEqualTo(503);
        assertThat(get(A, front, "/").status()).as("no key: keyed by the source address").isEqualTo(200);
        assertThat(get(A, front, "/").status()).isEqualTo(503);
    }

    /** curl over h2c (prior knowledge) from {@code local}: status line and headers (-i), then the body. */
    private static String curlH2(InetAddress local, InetSocketAddress front, String path) throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        Process p = new ProcessBuilder("curl", "-sS", "-i", "--max-time", "20", "--http2-prior-knowledge",
                "--interface", local.getHostAddress(), "http://127.0.0.1:" + front.getPort() + path)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("curl's exit status; output: %s", out).isZero();
        return out;
    }

    @Test
    void overHttp2TheRefusalsAreTheSameWithRetryAfter() throws Exception {
        TestServer origin = origin();
        InetSocketAddress front = start("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool, http: { protocols: [h2, http/1.1] },
                      rate_limit: { requests_per_second: 0.01, burst: 1 }, deny: [127.0.0.3] }
                """, origin.address());
        // One connection per request: curl's next request on an h2c connection after any local reply of Ferry's
        // (a 404 too, before this work) ends in "Error in the HTTP2 framing layer"; nghttp's do not. Left alone here.
        assertThat(curlH2(A, front, "/a")).startsWith("HTTP/2 200");
        assertThat(curlH2(A, front, "/b")).startsWith("HTTP/2 429").contains("retry-after: 100\r\n");
        assertThat(curlH2(B, front, "/a")).startsWith("HTTP/2 403");
    }

    @Test
    void anHttpFrontendsConnectionLimitResetsAtAcceptAndSharesTheRuleWithItsRequestLimit() throws Exception {
        TestServer origin = origin();
        InetSocketAddress front = start("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool,
                      rate_limit: { concurrent_connections: 1, requests_per_second: 0.01, burst: 5 } }
                """, origin.address());
        Raw kept = new Raw(front, A);
        resources.add(kept);
        assertThat(kept.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").read().status()).isEqualTo(200);
        try (Raw second = new Raw(front, A)) {
            second.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThatThrownBy(() -> second.in.read()).as("reset at accept").isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("reset");
        }
        assertThat(get(B, front, "/").status()).isEqualTo(200);
        RuleStats r = rule("frontend");
        assertThat(r.limitedCount()).isEqualTo(1);
        assertThat(r.trackedKeys(clock.nanoTime())).as("one table for the rule's connection and request limits")
                .isEqualTo(2);
        assertThat(origin.accepted()).isEqualTo(2);
    }

    @Test
    void concurrentRequestsPerKeyAreCappedWhileOneIsInFlight() throws Exception {
        HoldingOrigin origin = HoldingOrigin.start("held");
        resources.add(origin);
        InetSocketAddress front = start("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool,
                      rate_limit: { concurrent_requests: 1 } }
                """, origin.address());

        Raw holding = new Raw(front, A);
        resources.add(holding);
        holding.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
        await().atMost(Duration.ofSeconds(20)).until(() -> origin.held() == 1);

        Raw.Response refused = get(A, front, "/");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(get(B, front, "/").status()).as("another source is not held up").isEqualTo(200);

        origin.release();
        assertThat(holding.read().status()).isEqualTo(200);
        // The slot goes back when the held request's exchange ends, on its loop: a next request soon passes.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> get(A, front, "/").status() == 200);
    }
}
