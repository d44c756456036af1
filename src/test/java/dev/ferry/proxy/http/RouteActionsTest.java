package dev.ferry.proxy.http;

import dev.ferry.backend.DurationHistogram;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Route actions (issue 20 item 8) through real sockets with real clients: curl (HTTP/1.1 and HTTP/2 by prior
 * knowledge) for every redirect code and the Location built from the request, fixed answers with their body, content
 * type and HEAD, header rules both ways with {@code $request_id} and {@code $server} seen at a real HTTP/1 origin and
 * an h2c origin and at the client, and path rewrites seen at the servers; the access log and the request metrics. In
 * CI a missing curl fails the test.
 */
@Timeout(120)
class RouteActionsTest {
    /** A body far larger than one buffer, an HTTP/2 frame or the client's first window. */
    private static final String BIG = "0123456789abcdef".repeat(4000);

    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Origin seen = new Origin();
    private Balancer balancer;
    private InetSocketAddress front;
    private H2Origin h2;
    private String o1Address;

    @BeforeEach
    void start() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        TestServer o1 = Origin.start("o1", (r, out, s) -> {
            Origin.text(out, 200, "o1 " + r.target(), "X-Internal: secret", "X-Kept: yes");
            return true;
        }, seen);
        resources.add(o1);
        o1Address = o1.address();
        h2 = H2Origin.start("h2o", (r, reply) -> reply.send(200, ("h2o " + r.headers().path()).getBytes(
                StandardCharsets.UTF_8), Map.of("x-internal", "secret"), Map.of()));
        resources.add(h2);
        balancer = new Balancer(ConfigLoader.parse("""
                access_log: { path: %s, format: json }
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    request_headers: { set: { X-Front: $frontend, X-Server: frontend-level } }
                    response_headers: { set: { X-Front: "${frontend}!" } }
                    routes:
                      - { match: { path_prefix: /r301/ }, redirect: { scheme: https, code: 301 } }
                      - { match: { path_prefix: /r302/ }, redirect: { host: other.example, port: 8443 } }
                      - { match: { path_prefix: /r303/ }, redirect: { path: /landing, code: 303 } }
                      - { match: { path_prefix: /r307/ }, redirect: { prefix: /new/, code: 307 } }
                      - { match: { path_prefix: /r308/ }, redirect: { scheme: https, port: 443, code: 308, strip_query: true } }
                      - { match: { path: /big }, return: { status: 200, body: "%s" } }
                      - { match: { path: /maintenance }, return: { status: 503, body: "down for maintenance", content_type: text/html } }
                      - match: { path: /health }
                        return: { status: 200, body: ok }
                        response_headers: { set: { X-Answered-By: "$frontend/$request_id" } }
                      - match: { path_prefix: /api/ }
                        backend: pool
                        path: { replace_prefix: { to: /v2/ } }
                        request_headers:
                          set: { X-Id-Copy: $request_id, X-Server: $server, X-Client: "${client_ip}:$client_port", X-Host: $host }
                          add: { X-Tag: "a$$b" }
                          remove: [X-Secret]
                        response_headers:
                          set: { X-Served-By: $server }
                          add: { X-Route: api }
                          remove: [X-Internal]
                      - { match: { path_prefix: /strip/ }, backend: pool, path: { strip_prefix: /strip } }
                      - { match: { path_prefix: /re/ }, backend: pool, path: { regex_replace: { pattern: '^/re/(\\w+)/(\\w+)', substitution: /$2/$1 } } }
                      - match: { path_prefix: /h2/ }
                        backend: h2pool
                        path: { strip_prefix: /h2 }
                        request_headers: { set: { X-Server: $server, X-Id-Copy: $request_id }, remove: [X-Secret] }
                        response_headers: { set: { X-Served-By: $server }, remove: [X-Internal] }
                      - match: { path_prefix: /retry/ }
                        backend: retry
                        request_headers: { set: { X-Server: $server }, add: { X-Tag: once } }
                        response_headers: { set: { X-Served-By: $server } }
                      - backend: pool
                backends:
                  - { name: pool, servers: [ { name: o1, address: %s } ] }
                  - { name: h2pool, protocol: h2c, servers: [ { name: h2o, address: %s } ] }
                  - name: retry
                    scheduler: wrr
                    retries: 1
                    servers: [ { name: dead, address: 127.0.0.1:%d, weight: 100 }, { name: live, address: %s, weight: 1 } ]
                """.formatted(dir.resolve("access.json"), BIG, o1.address(), h2.address(), TestServer.closedPort(),
                o1.address()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private String url(String path) {
        return "http://127.0.0.1:" + front.getPort() + path;
    }

    /** A response as curl printed it with {@code -D -}: status line, fields (names in lower case), body. */
    private record Answer(String statusLine, Map<String, List<String>> fields, String body) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        String field(String name) {
            List<String> v = fields.get(name);
            return v == null ? null : v.getFirst();
        }
    }

    /** Runs curl with {@code -s -D -} (not for {@code -I}, which prints the head itself) and {@code args}. */
    private static Answer curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-s", "--max-time", "30"));
        if (!List.of(args).contains("-I")) {
            command.addAll(List.of("-D", "-"));
        }
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), err).isZero();
        String text = new String(out, StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        String[] lines = text.substring(0, end).split("\r\n");
        Map<String, List<String>> fields = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            fields.computeIfAbsent(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).trim());
        }
        return new Answer(lines[0], fields, text.substring(end + 4));
    }

    private static String curlWrite(String format, String url) throws Exception {
        Process p = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "--max-time", "30", "-w", format, url)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void everyRedirectCodeWithTheLocationBuiltFromTheRequest() throws Exception {
        String host = "127.0.0.1:" + front.getPort();
        assertThat(curlWrite("%{http_code} %{redirect_url}", url("/r301/a?q=1")))
                .isEqualTo("301 https://127.0.0.1/r301/a?q=1");
        assertThat(curlWrite("%{http_code} %{redirect_url}", url("/r302/a?q=1")))
                .isEqualTo("302 http://other.example:8443/r302/a?q=1");
        assertThat(curlWrite("%{http_code} %{redirect_url}", url("/r303/a/b?q=1&r=2")))
                .isEqualTo("303 http://" + host + "/landing?q=1&r=2");
        assertThat(curlWrite("%{http_code} %{redirect_url}", url("/r307/a/b?q=1")))
                .isEqualTo("307 http://" + host + "/new/a/b?q=1");
        assertThat(curlWrite("%{http_code} %{redirect_url}", url("/r308/a?q=1")))
                .isEqualTo("308 https://127.0.0.1/r308/a");

        Answer a = curl("-H", "Host: www.example.com:8080", url("/r307/x"));
        assertThat(a.status()).isEqualTo(307);
        assertThat(a.field("location")).isEqualTo("http://www.example.com:8080/new/x");
        assertThat(a.field("content-length")).isEqualTo("0");
        assertThat(a.body()).isEmpty();
        Answer https = curl("-H", "Host: www.example.com:8080", url("/r301/x"));
        assertThat(https.field("location")).as("a new scheme drops the old port").isEqualTo("https://www.example.com/r301/x");
        Answer head = curl("-I", url("/r308/p?x"));
        assertThat(head.statusLine()).startsWith("HTTP/1.1 308");
        assertThat(head.field("location")).isEqualTo("https://127.0.0.1/r308/p");
        assertThat(seen.requests).as("no server was asked").isEmpty();
    }

    @Test
    void fixedAnswersCarryTheirBodyAndTypeAndHeadGetsTheHeadOnly() throws Exception {
        Answer a = curl(url("/maintenance"));
        assertThat(a.status()).isEqualTo(503);
        assertThat(a.field("content-type")).isEqualTo("text/html");
        assertThat(a.field("content-length")).isEqualTo("20");
        assertThat(a.body()).isEqualTo("down for maintenance");

        Answer ok = curl("-H", "X-Request-Id: rid-1", url("/health"));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.field("content-type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(ok.field("x-answered-by")).isEqualTo("web/rid-1");
        assertThat(ok.field("x-request-id")).isEqualTo("rid-1");
        assertThat(ok.body()).isEqualTo("ok");

        Answer head = curl("-I", url("/maintenance"));
        assertThat(head.status()).isEqualTo(503);
        assertThat(head.field("content-length")).isEqualTo("20");
        // On one keep-alive connection: a HEAD answer has no body, so the next response is read right.
        try (Raw c = new Raw(front)) {
            c.send("HEAD /maintenance HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read(true);
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.header("Content-Length")).isEqualTo("20");
            c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("ok");
            c.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            Raw.Response posted = c.read();
            assertThat(posted.body()).isEqualTo("ok");
            assertThat(posted.header("Connection")).as("an unread body closes the connection").isEqualTo("close");
        }
        try (Raw c = new Raw(front)) {
            c.send("GET /health HTTP/1.0\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.body()).isEqualTo("ok");
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(c.closedByPeer()).as("an HTTP/1.0 client's connection ends with the answer").isTrue();
        }
        assertThat(seen.requests).isEmpty();
    }

    @Test
    void headerRulesAndPrefixReplacementBothWaysOverHttp1() throws Exception {
        Answer a = curl("-H", "X-Request-Id: rid-7", "-H", "X-Secret: s", url("/api/users?id=3"));
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body()).isEqualTo("o1 /v2/users?id=3");
        assertThat(a.field("x-served-by")).isEqualTo("o1");
        assertThat(a.field("x-route")).isEqualTo("api");
        assertThat(a.field("x-kept")).isEqualTo("yes");
        assertThat(a.fields()).doesNotContainKey("x-internal");

        Origin.Request r = seen.requests.getFirst();
        assertThat(r.target()).isEqualTo("/v2/users?id=3");
        assertThat(r.header("X-Id-Copy")).isEqualTo("rid-7");
        assertThat(r.header("X-Server")).isEqualTo("o1");
        assertThat(r.header("X-Client")).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(r.header("X-Host")).isEqualTo("127.0.0.1");
        assertThat(r.all("X-Tag")).containsExactly("a$b");
        assertThat(r.header("X-Secret")).isNull();
        assertThat(r.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(r.header("X-Front")).as("the frontend's rules run first").isEqualTo("web");
    }

    @Test
    void theFrontendsRulesApplyToEveryRouteAndARoutesSetWins() throws Exception {
        Answer other = curl(url("/other"));
        assertThat(other.field("x-front")).isEqualTo("web!");
        assertThat(seen.requests.getFirst().header("X-Server")).isEqualTo("frontend-level");
        assertThat(seen.requests.getFirst().header("X-Front")).isEqualTo("web");
        curl(url("/api/x"));
        assertThat(seen.requests.get(1).header("X-Server")).as("the route's set wins").isEqualTo("o1");
        assertThat(curl(url("/r301/x")).field("x-front")).as("a route's own answer too").isEqualTo("web!");
    }

    @Test
    void stripAndRegexRewritesAreSeenAtTheServer() throws Exception {
        assertThat(curl(url("/strip/a/b?c=d")).body()).isEqualTo("o1 /a/b?c=d");
        assertThat(curl(url("/strip/")).body()).isEqualTo("o1 /");
        assertThat(curl(url("/re/one/two?x")).body()).isEqualTo("o1 /two/one?x");
        assertThat(curl(url("/other")).body()).as("a route without actions is untouched").isEqualTo("o1 /other");
        // An absolute-form target keeps its authority; only the path changes.
        try (Raw c = new Raw(front)) {
            c.send("GET http://a.example/strip/z HTTP/1.1\r\nHost: b.example\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("o1 http://a.example/z");
        }
    }

    @Test
    void http2ClientsGetTheSameAnswersAndRewrites() throws Exception {
        Answer redirect = curl("--http2-prior-knowledge", url("/r308/a?q=1"));
        assertThat(redirect.statusLine()).startsWith("HTTP/2 308");
        assertThat(redirect.field("location")).isEqualTo("https://127.0.0.1/r308/a");

        Answer fixed = curl("--http2-prior-knowledge", url("/maintenance"));
        assertThat(fixed.statusLine()).startsWith("HTTP/2 503");
        assertThat(fixed.field("content-type")).isEqualTo("text/html");
        assertThat(fixed.body()).isEqualTo("down for maintenance");
        Answer head = curl("--http2-prior-knowledge", "-I", url("/maintenance"));
        assertThat(head.statusLine()).startsWith("HTTP/2 503");
        assertThat(head.field("content-length")).isEqualTo("20");

        // An upload the route does not read: the answer, then RST_STREAM NO_ERROR (RFC 9113 8.1). nghttp, since
        // curl 7.88 reports such a stream as failed (exit 92) whatever came before the reset.
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        Path upload = dir.resolve("upload.bin");
        Files.writeString(upload, "x".repeat(100_000));
        Process p = new ProcessBuilder("nghttp", "-v", "-d", upload.toString(), url("/r307/up"))
                .redirectErrorStream(true).start();
        String frames = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(frames).contains(") :status: 307")
                .contains(") location: http://127.0.0.1:" + front.getPort() + "/new/up")
                .contains("error_code=NO_ERROR");
        assertThat(curl("--http2-prior-knowledge", url("/big")).body()).isEqualTo(BIG);
        assertThat(curl("--http1.1", url("/big")).body()).isEqualTo(BIG);

        Answer api = curl("--http2-prior-knowledge", "-H", "x-request-id: rid-h2", "-H", "x-secret: s",
                url("/api/h?x=1"));
        assertThat(api.statusLine()).startsWith("HTTP/2 200");
        assertThat(api.body()).isEqualTo("o1 /v2/h?x=1");
        assertThat(api.field("x-served-by")).isEqualTo("o1");
        assertThat(api.fields()).doesNotContainKey("x-internal");
        Origin.Request r = seen.requests.getFirst();
        assertThat(r.target()).isEqualTo("/v2/h?x=1");
        assertThat(r.header("X-Id-Copy")).isEqualTo("rid-h2");
        assertThat(r.header("X-Secret")).isNull();
        assertThat(r.all("X-Tag")).containsExactly("a$b");
    }

    @Test
    void anHttp2ServerGetsTheRewrittenPathAndHeadersFromBothKindsOfClients() throws Exception {
        for (List<String> protocol : List.of(List.of("--http1.1"), List.of("--http2-prior-knowledge"))) {
            List<String> args = new ArrayList<>(protocol);
            args.addAll(List.of("-H", "X-Request-Id: rid-" + protocol.getFirst(), "-H", "X-Secret: s",
                    url("/h2/p/q?z=1")));
            Answer a = curl(args.toArray(String[]::new));
            assertThat(a.status()).as("%s", protocol).isEqualTo(200);
            assertThat(a.body()).isEqualTo("h2o /p/q?z=1");
            assertThat(a.field("x-served-by")).isEqualTo("h2o");
            assertThat(a.fields()).doesNotContainKey("x-internal");
        }
        assertThat(h2.requests).hasSize(2);
        for (H2Origin.Request r : h2.requests) {
            assertThat(r.headers().path().toString()).isEqualTo("/p/q?z=1");
            assertThat(r.header("x-server")).isEqualTo("h2o");
            assertThat(r.header("x-id-copy")).startsWith("rid---http");
            assertThat(r.header("x-secret")).isNull();
        }
    }

    @Test
    void aRetryNamesTheServerThatGotTheRequestAndAddsOnce() throws Exception {
        Answer a = curl(url("/retry/x"));
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.field("x-served-by")).isEqualTo("live");
        Origin.Request r = seen.requests.getFirst();
        assertThat(r.header("X-Server")).as("set anew for the second attempt").isEqualTo("live");
        assertThat(r.all("X-Tag")).containsExactly("once");
    }

    @Test
    void aReloadAppliesNewActionsToTheNextRequests() throws Exception {
        assertThat(curlWrite("%{http_code} %{redirect_url}", url("/r301/a"))).isEqualTo("301 https://127.0.0.1/r301/a");
        var report = balancer.reload(ConfigLoader.parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /r301/ }, redirect: { scheme: https, code: 308, strip_query: true } }
                      - { match: { path: /health }, return: { status: 200, body: fine } }
                      - match: { path_prefix: /api/ }
                        backend: pool
                        path: { strip_prefix: /api }
                        response_headers: { set: { X-Served-By: "v2-$server" } }
                backends:
                  - { name: pool, servers: [ { name: o1, address: %s } ] }
                """.formatted(o1Address), Path.of("test.yaml")));
        assertThat(String.join("; ", report.changes())).contains("route 1: actions.redirect.code 301 -> 308");
        assertThat(curlWrite("%{http_code} %{redirect_url}", url("/r301/a?q=1"))).isEqualTo("308 https://127.0.0.1/r301/a");
        assertThat(curl(url("/health")).body()).isEqualTo("fine");
        Answer api = curl(url("/api/x"));
        assertThat(api.body()).isEqualTo("o1 /x");
        assertThat(api.field("x-served-by")).isEqualTo("v2-o1");
    }

    @Test
    void routeAnswersAreLoggedAsTheRoutesOwnAndCountedInTheRequestMetrics() throws Exception {
        curl("-H", "X-Request-Id: log-1", url("/r301/a"));
        curl("-H", "X-Request-Id: log-2", url("/maintenance"));
        curl("-H", "X-Request-Id: log-3", "--http2-prior-knowledge", url("/health"));
        curl("-H", "X-Request-Id: log-4", url("/api/a"));
        Path log = dir.resolve("access.json");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(log) && Files.readAllLines(log).size() >= 4);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.get(0)).contains("\"status\":301", "\"termination\":\"route_redirect\"",
                "\"backend\":\"-\"", "\"server\":\"-\"", "\"request_id\":\"log-1\"", "\"request\":\"GET /r301/a\"");
        assertThat(lines.get(1)).contains("\"status\":503", "\"termination\":\"route_return\"", "\"bytes_out\":20",
                "\"request_id\":\"log-2\"");
        assertThat(lines.get(2)).contains("\"status\":200", "\"termination\":\"route_return\"",
                "\"request_id\":\"log-3\"");
        assertThat(lines.get(3)).as("the access log shows the request as the client sent it")
                .contains("\"status\":200", "\"termination\":\"ok\"", "\"request\":\"GET /api/a\"",
                        "\"backend\":\"pool\"");

        HttpFrontend web = (HttpFrontend) balancer.frontends().getFirst();
        Map<String, DurationHistogram> durations = web.requestDurations().byBackend();
        assertThat(durations.get("-").count()).as("route answers, under backend \"-\"").isEqualTo(3);
        assertThat(durations.get("pool").count()).isEqualTo(1);
        assertThat(web.routeAnswers().total()).isEqualTo(3);
    }
}
