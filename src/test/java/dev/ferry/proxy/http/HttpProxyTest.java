package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The HTTP reverse proxy through real sockets: a JDK HttpClient or a plain socket, Ferry, real origin servers. */
@Timeout(60)
class HttpProxyTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private Balancer balancer;
    private InetSocketAddress front;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
        http.close();
    }

    private TestServer server(TestServer s) {
        resources.add(s);
        return s;
    }

    private void start(String yaml) throws Exception {
        balancer = new Balancer(ConfigLoader.parse(yaml, Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private static String oneBackend(TestServer... servers) {
        StringBuilder y = new StringBuilder("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - name: pool
                    scheduler: rr
                    servers:
                """);
        for (TestServer s : servers) {
            y.append("      - { name: ").append(s.name()).append(", address: ").append(s.address()).append(" }\n");
        }
        return y.toString();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Raw raw() throws IOException {
        Raw r = new Raw(front);
        resources.add(r);
        return r;
    }

    @Test
    void routesByHostPathMethodHeaderAndQueryFirstMatchWinsAndNoMatchIs404() throws Exception {
        TestServer api = server(Origin.naming("api"));
        TestServer admin = server(Origin.naming("admin"));
        TestServer rest = server(Origin.naming("rest"));
        start("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { host: "*.admin.test" }, backend: admin }
                      - { match: { path_prefix: /api/, methods: [GET] }, backend: api }
                      - { match: { path: /exact, headers: { X-Canary: "1" } }, backend: admin }
                      - { match: { path_regex: "^/img/[0-9]+\\\\.png$" }, backend: api }
                      - { match: { query: { v: "2 3" } }, backend: admin }
                      - { match: { host: www.test }, backend: rest }
                backends:
                  - { name: api, servers: [ { name: api, address: %s } ] }
                  - { name: admin, servers: [ { name: admin, address: %s } ] }
                  - { name: rest, servers: [ { name: rest, address: %s } ] }
                """.formatted(api.address(), admin.address(), rest.address()));

        try (Raw c = raw()) {
            assertThat(ask(c, "GET", "/api/x", "www.test")).isEqualTo("200 api");
            assertThat(ask(c, "POST", "/api/x", "www.test")).isEqualTo("200 rest");
            assertThat(ask(c, "GET", "/api/x", "a.admin.test")).isEqualTo("200 admin");
            assertThat(ask(c, "GET", "/api/x", "a.b.admin.test:8080")).isEqualTo("200 admin");
            assertThat(ask(c, "GET", "/", "admin.test")).startsWith("404 ");
            assertThat(ask(c, "GET", "/exact", "x", "X-Canary: 1")).isEqualTo("200 admin");
            assertThat(ask(c, "GET", "/exact", "x", "X-Canary: 2")).startsWith("404 ");
            assertThat(ask(c, "GET", "/exact/", "x", "X-Canary: 1")).startsWith("404 ");
            assertThat(ask(c, "GET", "/img/42.png?x=1", "x")).isEqualTo("200 api");
            assertThat(ask(c, "GET", "/img/42.png.bak", "x")).startsWith("404 ");
            assertThat(ask(c, "GET", "/q?a=1&v=2+3", "x")).isEqualTo("200 admin");
            assertThat(ask(c, "GET", "/q?v=2%203", "x")).isEqualTo("200 admin");
            assertThat(ask(c, "GET", "/q?v=2", "x")).startsWith("404 ");
            assertThat(ask(c, "GET", "http://www.test/anything", "other")).isEqualTo("200 rest");
        }
    }

    private static String ask(Raw c, String method, String target, String host, String... headers) throws IOException {
        StringBuilder r = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ")
                .append(host).append("\r\n");
        for (String h : headers) {
            r.append(h).append("\r\n");
        }
        if (method.equals("POST")) {
            r.append("Content-Length: 0\r\n");
        }
        c.send(r.append("\r\n").toString());
        Raw.Response response = c.read();
        return response.status() + " " + response.body().trim();
    }

    @Test
    void forwardingHeadersAreAddedAndHopByHopHeadersRemoved() throws Exception {
        Origin seen = new Origin();
        TestServer echo = server(Origin.start("echo", (r, out, s) -> {
            Origin.text(out, 200, "ok", "Keep-Alive: timeout=5", "X-Drop: yes", "Connection: X-Drop");
            return true;
        }, seen));
        start(oneBackend(echo));
        try (Raw c = raw()) {
            c.send("POST /p HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive, "
                    + "X-Secret, Content-Length\r\nX-Secret: s\r\nKeep-Alive: 300\r\nTE: trailers\r\n"
                    + "Proxy-Connection: keep-alive\r\nContent-Length: 5\r\n\r\nhello");
            Raw.Response response = c.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Keep-Alive")).isNull();
            assertThat(response.header("X-Drop")).isNull();
            assertThat(response.header("Via")).isEqualTo("1.1 ferry");

            c.send("GET /q HTTP/1.1\r\nHost: shop.test\r\nX-Request-Id: abc\r\nX-Forwarded-Proto: https\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        Origin.Request first = seen.requests.get(0);
        assertThat(first.bodyText()).isEqualTo("hello");
        assertThat(first.header("X-Forwarded-For")).isEqualTo("10.0.0.1, 127.0.0.1");
        assertThat(first.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(first.header("X-Forwarded-Host")).isEqualTo("shop.test");
        assertThat(first.header("Forwarded")).isEqualTo("for=127.0.0.1;host=shop.test;proto=http");
        assertThat(first.header("Via")).isEqualTo("1.1 ferry");
        assertThat(first.header("X-Request-Id")).matches("[0-9a-f]{32}");
        assertThat(first.header("X-Secret")).isNull();
        assertThat(first.header("Keep-Alive")).isNull();
        assertThat(first.header("TE")).isNull();
        assertThat(first.header("Proxy-Connection")).isNull();
        assertThat(first.header("Connection")).isNull();
        assertThat(first.header("Content-Length")).isEqualTo("5");
        Origin.Request second = seen.requests.get(1);
        assertThat(second.header("X-Request-Id")).isEqualTo("abc");
        assertThat(second.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(second.method()).isEqualTo("GET");
        assertThat(second.body()).isEmpty();
    }

    @Test
    void forwardingHeadersAddsOnlyTheHeadersItNamesStillStripsHopByHopAndFollowsAReload() throws Exception {
        Origin seen = new Origin();
        TestServer echo = server(Origin.start("echo", (r, out, s) -> {
            Origin.text(out, 200, "ok", "Keep-Alive: timeout=5");
            return true;
        }, seen));
        start(oneBackend(echo).replace("backend: pool }",
                "backend: pool, http: { forwarding_headers: [X-Forwarded-For, x-request-id] } }"));
        try (Raw c = raw()) {
            c.send("GET /a HTTP/1.1\r\nHost: shop.test\r\nConnection: X-Secret\r\nX-Secret: s\r\n\r\n");
            Raw.Response response = c.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Via")).isNull();
            assertThat(response.header("Keep-Alive")).isNull();
        }
        Origin.Request request = seen.requests.get(0);
        assertThat(request.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(request.header("X-Request-Id")).matches("[0-9a-f]{32}");
        assertThat(request.header("X-Forwarded-Proto")).isNull();
        assertThat(request.header("X-Forwarded-Host")).isNull();
        assertThat(request.header("Forwarded")).isNull();
        assertThat(request.header("Via")).isNull();
        assertThat(request.header("X-Secret")).isNull();
        assertThat(request.header("Connection")).isNull();
        assertThat(request.header("Host")).isEqualTo("shop.test");

        // A reload applies a new list to the next requests.
        String none = oneBackend(echo).replace("127.0.0.1:0", "127.0.0.1:" + front.getPort())
                .replace("backend: pool }", "backend: pool, http: { forwarding_headers: [] } }");
        balancer.reload(ConfigLoader.parse(none, Path.of("test.yaml")));
        try (Raw c = raw()) {
            c.send("GET /b HTTP/1.1\r\nHost: shop.test\r\nX-Request-Id: abc\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
        Origin.Request untouched = seen.requests.get(1);
        assertThat(untouched.header("X-Forwarded-For")).isNull();
        assertThat(untouched.header("Via")).isNull();
        assertThat(untouched.header("X-Request-Id")).isEqualTo("abc");
    }

    @Test
    void withDeferAcceptAClientIsAcceptedOnlyOnceItSpeaksAndServedThen() throws Exception {
        dev.ferry.testing.Requirements.require(io.netty.channel.epoll.Epoll.isAvailable(), "epoll (Linux) for TCP_DEFER_ACCEPT");
        TestServer a = server(Origin.naming("a"));
        start(oneBackend(a));
        var stats = balancer.frontends().get(0).stats();
        try (Raw c = raw()) {
            // The kernel holds a silent client for the defer period (1 s): Ferry does not see it meanwhile.
            await().during(Duration.ofMillis(300)).atMost(Duration.ofMillis(900)).until(() -> stats.accepted() == 0);
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(stats.accepted()).isEqualTo(1);
        }

        // Turned off (a restart: a reload refuses to change accept settings on the same address).
        balancer.close();
        start(oneBackend(a).replace("backend: pool }", "backend: pool, http: { defer_accept: false } }"));
        var stats2 = balancer.frontends().get(0).stats();
        try (Raw c = raw()) {
            await().atMost(Duration.ofSeconds(5)).until(() -> stats2.accepted() == 1);
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void keepAliveReusesOneServerConnectionAcrossRequestsAndClients() throws Exception {
        TestServer origin = server(Origin.naming("o"));
        start(oneBackend(origin));
        for (int i = 0; i < 10; i++) {
            assertThat(get("/a/" + i).body()).isEqualTo("o");
        }
        for (int client = 0; client < 5; client++) {
            try (Raw c = raw()) {
                for (int i = 0; i < 3; i++) {
                    assertThat(ask(c, "GET", "/b", "x")).isEqualTo("200 o");
                }
            }
        }
        assertThat(origin.accepted()).isEqualTo(1);
        Server s = balancer.backends().get("pool").servers().get(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> s.active() == 0 && s.inactive() == 1);
        assertThat(((HttpFrontend) balancer.frontends().get(0)).idleUpstreamConnections()).isEqualTo(1);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        TestServer origin = server(Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, r.target());
            return true;
        }));
        start(oneBackend(origin));
        try (Raw c = raw()) {
            c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /4 HTTP/1.1\r\nHost: x\r\n\r\n");
            for (int i = 1; i <= 4; i++) {
                assertThat(c.read().body()).isEqualTo("/" + i);
            }
        }
    }

    @Test
    void aProxyProtocolHeaderNamesTheClientAndSendProxyStatesItToTheServer() throws Exception {
        Origin seen = new Origin();
        List<String> proxyLines = new java.util.concurrent.CopyOnWriteArrayList<>();
        TestServer origin = server(TestServer.start("o", s -> {
            proxyLines.add(Origin.readLine(s.getInputStream()));
            for (Origin.Request r; (r = Origin.read(s.getInputStream(), s, s.getOutputStream())) != null; ) {
                seen.requests.add(r);
                Origin.text(s.getOutputStream(), 200, "o");
            }
        }));
        start("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool, proxy_protocol: true }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s, send_proxy: v1 } ] }
                """.formatted(origin.address()));
        for (int i = 0; i < 2; i++) {
            try (Raw c = raw()) {
                c.send("PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(c.read().body()).isEqualTo("o");
            }
        }
        assertThat(seen.requests.get(0).header("X-Forwarded-For")).isEqualTo("203.0.113.7");
        assertThat(proxyLines.get(0)).startsWith("PROXY TCP4 203.0.113.7 198.51.100.1 5555 80");
        // a connection that stated one client's address is never handed to another client
        assertThat(origin.accepted()).isEqualTo(2);
    }

    @Test
    void uriAndHeaderHashKeysAndTheHostAsLblcDestinationPickServersPerRequest() throws Exception {
        TestServer a = server(Origin.naming("a"));
        TestServer b = server(Origin.naming("b"));
        TestServer c = server(Origin.naming("c"));
        String servers = "[ { name: a, address: %s }, { name: b, address: %s }, { name: c, address: %s } ]"
                .formatted(a.address(), b.address(), c.address());
        start("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /u/ }, backend: by-uri }
                      - { match: { path_prefix: /h/ }, backend: by-header }
                      - { backend: by-host }
                backends:
                  - { name: by-uri, scheduler: mh, hash_key: uri, servers: %s }
                  - { name: by-header, scheduler: mh, hash_key: "header:X-User", servers: %s }
                  - { name: by-host, scheduler: lblc, servers: %s }
                """.formatted(servers, servers, servers));
        try (Raw conn = raw()) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < 30; i++) {
                String first = ask(conn, "GET", "/u/item" + i + "?v=1", "x");
                assertThat(ask(conn, "GET", "/u/item" + i + "?v=2", "y")).isEqualTo(first);
                seen.add(first);
            }
            assertThat(seen).hasSizeGreaterThan(1);
            seen.clear();
            for (int i = 0; i < 30; i++) {
                String first = ask(conn, "GET", "/h/" + i, "x", "X-User: user" + i);
                assertThat(ask(conn, "GET", "/h/other", "x", "X-User: user" + i)).isEqualTo(first);
                seen.add(first);
            }
            assertThat(seen).hasSizeGreaterThan(1);
            String site = ask(conn, "GET", "/", "site-one.test");
            for (int i = 0; i < 5; i++) {
                assertThat(ask(conn, "GET", "/p" + i, "site-one.test:80")).isEqualTo(site);
            }
        }
    }

    @Test
    void aGracefulStopClosesIdleKeepAliveConnectionsAtOnceAndBusyOnesAfterTheirResponse() throws Exception {
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        Origin seen = new Origin();
        TestServer origin = server(Origin.start("o", (r, out, s) -> {
            if (r.target().equals("/slow")) {
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    return false;
                }
            }
            Origin.text(out, 200, "o");
            return true;
        }, seen));
        start(oneBackend(origin));
        Raw idle = raw();
        assertThat(ask(idle, "GET", "/", "x")).isEqualTo("200 o");
        Raw busy = raw();
        busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.requests.size() == 2);
        // Its own thread: the common pool may be busy (one thread on a two-core machine).
        java.util.concurrent.ExecutorService stopper = java.util.concurrent.Executors.newSingleThreadExecutor();
        resources.add(stopper::shutdownNow);
        java.util.concurrent.Future<Integer> stopped = stopper.submit(() -> balancer.stop(Duration.ofSeconds(20)));
        assertThat(idle.closedByPeer()).isTrue();
        answer.countDown();
        Raw.Response last = busy.read();
        assertThat(last.body()).isEqualTo("o");
        assertThat(last.header("Connection")).isEqualTo("close");
        assertThat(busy.closedByPeer()).isTrue();
        assertThat(stopped.get(10, java.util.concurrent.TimeUnit.SECONDS)).isZero();
    }
}
