package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/** Retries, Ferry's own error responses, timeouts, malformed input and request smuggling attempts. */
@Timeout(60)
class HttpErrorsTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
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
    }

    private TestServer server(TestServer s) {
        resources.add(s);
        return s;
    }

    /** One http frontend over backend "pool" with the given servers ("name address [weight]"). */
    private void start(String backendExtra, String... servers) throws Exception {
        startWith("", backendExtra, servers);
    }

    private void startWith(String frontendExtra, String backendExtra, String... servers) throws Exception {
        StringBuilder y = new StringBuilder("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool, timeouts: { request_header: 500ms }%s }
                backends:
                  - name: pool
                    scheduler: rr
                """.formatted(frontendExtra)).append(backendExtra).append("    servers:\n");
        for (String s : servers) {
            String[] p = s.split(" ");
            y.append("      - { name: ").append(p[0]).append(", address: ").append(p[1])
                    .append(p.length > 2 ? ", weight: " + p[2] : "").append(" }\n");
        }
        balancer = new Balancer(ConfigLoader.parse(y.toString(), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private Raw raw() throws IOException {
        Raw r = new Raw(front);
        resources.add(r);
        return r;
    }

    private static String closed() {
        return "127.0.0.1:" + TestServer.closedPort();
    }

    @Test
    void aRefusedConnectIsRetriedOnAnotherServer() throws Exception {
        TestServer b = server(Origin.naming("b"));
        start("", "a " + closed(), "b " + b.address());
        try (Raw c = raw()) {
            for (int i = 0; i < 4; i++) {
                c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
                Raw.Response r = c.read();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("b");
            }
        }
        assertThat(balancer.frontends().get(0).stats().retries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void anIdempotentRequestIsRetriedWhenTheServerClosesBeforeRespondingButAPostIsNot() throws Exception {
        Origin aSeen = new Origin();
        TestServer a = server(Origin.start("a", (r, out, s) -> false, aSeen));
        Origin bSeen = new Origin();
        TestServer b = server(Origin.start("b", (r, out, s) -> {
            Origin.text(out, 200, "b");
            return true;
        }, bSeen));
        start("", "a " + a.address(), "b " + b.address());
        try (Raw c = raw()) {
            c.send("GET /idem HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b");
        }
        assertThat(aSeen.requests).extracting(Origin.Request::target).containsExactly("/idem");
        try (Raw c = raw()) {
            // rr goes on with a (b took the retry): a drops the POST, which must not be sent again.
            c.send("POST /once HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.body()).contains("closed the connection before responding");
        }
        assertThat(bSeen.requests).extracting(Origin.Request::target).doesNotContain("/once");
    }

    @Test
    void allServersFailingIs502() throws Exception {
        start("    retries: 1\n", "a " + closed(), "b " + closed());
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.header("Content-Type")).startsWith("text/plain");
            assertThat(r.body()).startsWith("502 Bad Gateway: ").hasSizeLessThan(120);
            // The connection survives a 502 for a request without a body.
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(502);
        }
    }

    @Test
    void noServerAvailableIs503() throws Exception {
        TestServer a = server(Origin.naming("a"));
        start("", "a " + a.address() + " 0");
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("503 Service Unavailable: no server is available\n");
            assertThat(r.header("X-Request-Id")).matches("[0-9a-f]{32}");
        }
        assertThat(a.accepted()).isZero();
    }

    /**
     * Issue 15 item 17a: Ferry's own answer to a HEAD request carried its text body, which the client, rightly
     * expecting none, then read as the start of the next response.
     */
    @Test
    void ferrysOwnAnswersToHeadRequestsCarryNoBodyAndTheConnectionStaysInStep() throws Exception {
        TestServer a = server(Origin.naming("a"));
        start("", "a " + a.address() + " 0");
        try (Raw c = raw()) {
            for (int i = 0; i < 2; i++) {
                c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
                Raw.Response r = c.read(true);
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("Content-Length"))
                        .isEqualTo(String.valueOf("503 Service Unavailable: no server is available\n".length()));
                assertThat(r.header("Connection")).isNull();
            }
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("503 Service Unavailable: no server is available\n");
            // One that closes the connection: nothing follows its head either.
            c.send("HEAD / HTTP/1.1\r\n\r\n");
            assertThat(c.read(true).status()).isEqualTo(400);
            assertThat(c.in.read()).isEqualTo(-1);
        }
    }

    @Test
    void aServerThatDoesNotAnswerInTimeIs504() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestServer slow = server(Origin.start("slow", (r, out, s) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }));
        try {
            start("    timeouts: { response: 300ms }\n", "slow " + slow.address());
            try (Raw c = raw()) {
                c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                Raw.Response r = c.read();
                assertThat(r.status()).isEqualTo(504);
                assertThat(r.body()).contains("did not respond in time");
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    void aSlowRequestHeadIsCutOffWith408() throws Exception {
        TestServer a = server(Origin.naming("a"));
        start("", "a " + a.address());
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(408);
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(a.accepted()).isZero();
    }

    // Malformed and ambiguous requests (smuggling attempts among them): the HTTP/1 corpus, Http1CorpusTest.

    @Test
    void anOverlongRequestLineIs414AndOversizeHeadersAre431() throws Exception {
        TestServer a = server(Origin.naming("a"));
        start("", "a " + a.address());
        try (Raw c = raw()) {
            c.send("GET /" + "a".repeat(dev.ferry.config.HttpOptions.DEFAULTS.maxRequestLine()) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(414);
        }
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(dev.ferry.config.HttpOptions.DEFAULTS.maxHeaderSize())
                    + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(431);
        }
        assertThat(a.accepted()).isZero();
    }

    @Test
    void configuredLimitsApply() throws Exception {
        TestServer a = server(Origin.naming("a"));
        startWith(", http: { max_request_line: 512B, max_header_size: 1KiB }", "", "a " + a.address());
        try (Raw c = raw()) {
            c.send("GET /" + "a".repeat(600) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(414);
        }
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(1200) + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(431);
        }
        try (Raw c = raw()) {
            c.send("GET /" + "a".repeat(400) + " HTTP/1.1\r\nHost: x\r\nX-Ok: " + "b".repeat(800) + "\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    /**
     * Issue 15 item 4: a 31 KB head within the size limits (4,000 fields named a, Connection naming a 8,000 times) cost
     * hundreds of ms of event-loop CPU. Over the field count limit it is refused as soon as the 101st field line is
     * read; at the limit it is served.
     */
    @Test
    void aHeadWithMoreFieldsThanMaxHeaderCountIs431AndNeverForwarded() throws Exception {
        Origin seen = new Origin();
        TestServer a = server(Origin.start("a", (r, out, s) -> {
            Origin.text(out, 200, "a:" + r.headers().size());
            return true;
        }, seen));
        start("", "a " + a.address());
        String worst = "GET /worst HTTP/1.1\r\nHost: x\r\n" + "a:\r\n".repeat(4_000) + "Connection: "
                + "a,".repeat(7_999) + "a\r\n\r\n";
        assertThat(worst.length()).isLessThan(dev.ferry.config.HttpOptions.DEFAULTS.maxHeaderSize());
        try (Raw c = raw()) {
            c.send(worst);
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.body()).contains("more than 100 header fields");
            assertThat(c.closedByPeer()).isTrue();
        }
        try (Raw c = raw()) {
            c.send("GET /at-the-limit HTTP/1.1\r\nHost: x\r\n" + "X-F: 1\r\n".repeat(99) + "\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
        }
        assertThat(seen.requests).extracting(Origin.Request::target).containsExactly("/at-the-limit");
    }

    @Test
    void aConfiguredMaxHeaderCountApplies() throws Exception {
        TestServer a = server(Origin.naming("a"));
        startWith(", http: { max_header_count: 3 }", "", "a " + a.address());
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
            c.send("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(431);
        }
    }

    @Test
    void aBrokenChunkedBodyClosesBothSidesAndTheServerConnectionIsNotReused() throws Exception {
        Origin seen = new Origin();
        TestServer a = server(Origin.start("a", (r, out, s) -> {
            Origin.text(out, 200, "a:" + r.bodyText());
            return true;
        }, seen));
        start("", "a " + a.address());
        try (Raw c = raw()) {
            c.send("POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(c.closedByPeer()).isTrue();
        }
        try (Raw c = raw()) {
            c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("a:");
        }
        // The half-sent request's connection was closed, so /next came on a new one.
        assertThat(a.accepted()).isEqualTo(2);
        assertThat(seen.requests).extracting(Origin.Request::target).containsExactly("/next");
    }
}
