package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18 item 5: RFC 9113's negative cases, driven as raw frames ({@link RawH2}) against one Ferry with the default
 * {@code http.h2} limits. Each row sends what a broken or hostile client sends and expects the error RFC 9113 (or the
 * flood defence) asks for: a stream error (RST_STREAM with its code, or a 431 response) after which the connection
 * carries on, or a connection error (GOAWAY with its code, then the connection closes). Each row's violation is
 * counted under its kind, and after every row a normal request on a new connection is still answered: Ferry stays up.
 */
@Timeout(60)
class Http2NegativeCasesTest {
    private static final int PROTOCOL_ERROR = 0x1, FLOW_CONTROL_ERROR = 0x3, STREAM_CLOSED = 0x5,
            FRAME_SIZE_ERROR = 0x6, REFUSED_STREAM = 0x7, ENHANCE_YOUR_CALM = 0xb;
    private static TestServer origin;
    /** Accepts and never reads: what is sent to it stays in socket buffers until they are full. */
    private static TestServer stall;
    private static Balancer balancer;
    private static InetSocketAddress front;
    private static String authority;
    /** The origin holds requests for {@code /slow} until this opens (or 20 s pass). */
    private static final CountDownLatch release = new CountDownLatch(1);

    @BeforeAll
    static void start() throws Exception {
        origin = Origin.start("o", (r, out, s) -> {
            if (r.target().startsWith("/slow")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Origin.text(out, 200, "o");
            return true;
        });
        stall = TestServer.start("stall", socket -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - name: front
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /stall }, backend: stall }
                      - { backend: pool }
                backends:
                  - name: pool
                    retries: 0
                    servers: [ { name: o, address: %s } ]
                  - name: stall
                    retries: 0
                    servers: [ { name: s, address: %s } ]
                """.formatted(origin.address(), stall.address()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("front");
        authority = "127.0.0.1:" + front.getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        release.countDown();
        if (balancer != null) {
            balancer.close();
        }
        if (origin != null) {
            origin.close();
        }
        if (stall != null) {
            stall.close();
        }
    }

    private static Http2Stats stats() {
        return ((HttpFrontend) balancer.frontends().getFirst()).http2Stats();
    }

    /** What a row sends on a connection whose preface the row sends itself when {@code preface} is false. */
    @FunctionalInterface
    interface Script {
        void send(RawH2 c) throws IOException;
    }

    /** The outcome a row expects. */
    sealed interface Expect permits Reset, Status, GoAway {
    }

    /** RST_STREAM on {@code stream} with {@code code}; the connection stays and answers stream {@code next}. */
    record Reset(int stream, int code, int next) implements Expect {
        Reset(int stream, int code) {
            this(stream, code, stream + 2);
        }
    }

    /** A response with {@code status} on {@code stream}; the connection stays. */
    record Status(int stream, int status) implements Expect {
    }

    /** GOAWAY with {@code code}, then the connection closes. */
    record GoAway(int code) implements Expect {
    }

    record Case(String name, boolean preface, Script script, Expect expect, String kind) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static String[] get(String path, String... more) {
        List<String> f = new ArrayList<>(List.of(":method", "GET", ":scheme", "http", ":authority", authority,
                ":path", path));
        f.addAll(List.of(more));
        return f.toArray(String[]::new);
    }

    static Stream<Case> cases() {
        return Stream.of(
                // Connection preface (RFC 9113 3.4): the first frame must be SETTINGS.
                new Case("preface followed by PING instead of SETTINGS", false, c -> {
                    c.raw(RawH2.PREFACE);
                    c.ping(1);
                }, new GoAway(PROTOCOL_ERROR), "protocol_error"),
                // Stream states (5.1).
                new Case("DATA on an idle stream", true, c -> c.frame(RawH2.DATA, 0, 3, new byte[]{1}),
                        new GoAway(PROTOCOL_ERROR), "protocol_error"),
                new Case("a stream id from the server's (even) range", true, c -> c.headers(2, true, get("/")),
                        new GoAway(PROTOCOL_ERROR), "protocol_error"),
                // Stream 3 was closed implicitly when 5 opened (5.1.1); Netty keeps no closed streams and cannot tell it
                // from a stream that ran and closed, so it answers the lesser error (a stream error, STREAM_CLOSED,
                // which 5.1 allows for frames on closed streams).
                new Case("a stream id lower than one already opened", true, c -> {
                    c.headers(5, true, get("/"));
                    c.response(5);
                    c.headers(3, true, get("/"));
                }, new Reset(3, STREAM_CLOSED, 7), "stream_closed"),
                new Case("DATA on a stream the client closed (half-closed remote)", true, c -> {
                    c.headers(1, true, get("/slow?closed"));
                    c.frame(RawH2.DATA, 0, 1, new byte[]{1});
                }, new Reset(1, STREAM_CLOSED), "stream_closed"),
                new Case("HEADERS on a stream that ended both ways", true, c -> {
                    c.headers(1, true, get("/"));
                    c.response(1);
                    c.headers(1, true, get("/"));
                }, new Reset(1, STREAM_CLOSED), "stream_closed"),
                // Frame sizes (4.2, 6.7, 6.9).
                new Case("a DATA frame over SETTINGS_MAX_FRAME_SIZE", true, c -> {
                    c.headers(1, false, get("/"));
                    c.frame(RawH2.DATA, 0, 1, new byte[16_385]);
                }, new GoAway(FRAME_SIZE_ERROR), "frame_size"),
                new Case("a PING of 7 bytes", true, c -> c.frame(RawH2.PING, 0, 0, new byte[7]),
                        new GoAway(FRAME_SIZE_ERROR), "frame_size"),
                // Flow control (6.9).
                new Case("WINDOW_UPDATE of 0 on the connection", true,
                        c -> c.frame(RawH2.WINDOW_UPDATE, 0, 0, new byte[4]), new GoAway(PROTOCOL_ERROR),
                        "protocol_error"),
                new Case("a window grown past 2^31-1", true, c -> {
                    c.frame(RawH2.WINDOW_UPDATE, 0, 0, ByteBuffer.allocate(4).putInt(0x7fffffff).array());
                }, new GoAway(FLOW_CONTROL_ERROR), "flow_control"),
                // A client that ignores Ferry's window: the body waits for a server that does not read, Ferry gives
                // no more window, and 32 MiB sent blind run past it (the bound on request bytes held).
                new Case("DATA past the flow-control window", true, c -> {
                    c.headers(1, false, get("/stall"));
                    byte[] chunk = new byte[16_384];
                    try {
                        for (int i = 0; i < 2048; i++) {
                            c.frame(RawH2.DATA, 0, 1, chunk);
                        }
                    } catch (IOException e) {
                        // Ferry closed the connection while the rest was still being written.
                    }
                }, new GoAway(FLOW_CONTROL_ERROR), "flow_control"),
                // Malformed requests (8.1.1, 8.2, 8.3): stream errors.
                new Case("no :path", true, c -> c.headers(1, true, ":method", "GET", ":scheme", "http",
                        ":authority", authority), new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case("an unknown pseudo-header", true, c -> c.headers(1, true, get("/", ":foo", "x")),
                        new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case("a pseudo-header after a regular field", true, c -> c.headers(1, true, ":method", "GET",
                        ":scheme", "http", "x-a", "1", ":path", "/", ":authority", authority),
                        new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case(":method twice", true, c -> c.headers(1, true, get("/", ":method", "POST")),
                        new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case(":status in a request", true, c -> c.headers(1, true, get("/", ":status", "200")),
                        new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case("an upper-case field name", true, c -> c.headers(1, true, get("/", "X-Upper", "1")),
                        new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case("connection: keep-alive", true, c -> c.headers(1, true, get("/", "connection",
                        "keep-alive")), new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case("transfer-encoding: chunked", true, c -> c.headers(1, true, get("/", "transfer-encoding",
                        "chunked")), new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case("te other than trailers", true, c -> c.headers(1, true, get("/", "te", "gzip")),
                        new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                new Case("upgrade", true, c -> c.headers(1, true, get("/", "upgrade", "websocket")),
                        new Reset(1, PROTOCOL_ERROR), "malformed_request"),
                // Header limits: http.max_header_size (the list) and http.max_header_count.
                new Case("a header list over max_header_list_size", true, c -> {
                    byte[] block = RawH2.block(get("/", "x-big", "v".repeat(34 * 1024)));
                    c.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, java.util.Arrays.copyOfRange(block, 0, 16_384));
                    c.frame(RawH2.CONTINUATION, 0, 1, java.util.Arrays.copyOfRange(block, 16_384, 32_768));
                    c.frame(RawH2.CONTINUATION, RawH2.END_HEADERS, 1,
                            java.util.Arrays.copyOfRange(block, 32_768, block.length));
                }, new Status(1, 431), "header_list_size"),
                new Case("a header block far over max_header_list_size", true, c -> {
                    c.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, RawH2.block(get("/", "x-a", "v".repeat(16_000))));
                    for (int i = 0; i < 2; i++) {
                        c.frame(RawH2.CONTINUATION, 0, 1, RawH2.block("x-b" + i, "v".repeat(16_000)));
                    }
                }, new GoAway(PROTOCOL_ERROR), "header_list_size"),
                new Case("more fields than max_header_count", true, c -> {
                    List<String> f = new ArrayList<>(List.of(get("/")));
                    for (int i = 0; i < 101; i++) {
                        f.add("x-f" + i);
                        f.add("1");
                    }
                    c.headers(1, true, f.toArray(String[]::new));
                }, new Status(1, 431), "header_count"),
                // Floods.
                new Case("CONTINUATION flood (17 small frames)", true, c -> {
                    c.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, RawH2.block(get("/")));
                    for (int i = 0; i < 17; i++) {
                        c.frame(RawH2.CONTINUATION, 0, 1, RawH2.block("x-c" + i, "1"));
                    }
                }, new GoAway(ENHANCE_YOUR_CALM), "continuation_flood"),
                new Case("rapid reset (HEADERS and RST_STREAM, 201 times)", true, c -> {
                    for (int i = 0; i < 201; i++) {
                        c.headers(1 + 2 * i, true, get("/slow?reset"));
                        c.rst(1 + 2 * i, 0x8);
                    }
                }, new GoAway(ENHANCE_YOUR_CALM), "rapid_reset"),
                new Case("MadeYouReset (201 malformed streams Ferry must reset)", true, c -> {
                    for (int i = 0; i < 201; i++) {
                        c.headers(1 + 2 * i, true, get("/", "X-Upper", "1"));
                    }
                }, new GoAway(ENHANCE_YOUR_CALM), "local_resets"),
                // The classic MadeYouReset primitive: a frame valid in shape but not in state (a WINDOW_UPDATE of 0
                // on an open stream), which makes Ferry reset a stream whose request already went to the server.
                new Case("MadeYouReset (201 streams each given a WINDOW_UPDATE of 0)", true, c -> {
                    for (int i = 0; i < 201; i++) {
                        c.headers(1 + 2 * i, true, get("/?madeyoureset"));
                        c.frame(RawH2.WINDOW_UPDATE, 0, 1 + 2 * i, new byte[4]);
                    }
                }, new GoAway(ENHANCE_YOUR_CALM), "local_resets"),
                new Case("PING flood (1001 in the window)", true, c -> {
                    for (int i = 0; i < 1001; i++) {
                        c.ping(i);
                    }
                }, new GoAway(ENHANCE_YOUR_CALM), "control_flood"),
                new Case("SETTINGS flood (1001 in the window)", true, c -> {
                    for (int i = 0; i < 1001; i++) {
                        c.frame(RawH2.SETTINGS, 0, 0, new byte[0]);
                    }
                }, new GoAway(ENHANCE_YOUR_CALM), "control_flood"),
                new Case("empty DATA frames without END_STREAM", true, c -> {
                    c.headers(1, false, get("/slow?empty"));
                    c.frame(RawH2.DATA, 0, 1, new byte[0]);
                    c.frame(RawH2.DATA, 0, 1, new byte[0]);
                }, new GoAway(ENHANCE_YOUR_CALM), "empty_frames"),
                new Case("more concurrent streams than max_concurrent_streams", true, c -> {
                    for (int i = 0; i < 101; i++) {
                        c.headers(1 + 2 * i, false, get("/slow?many"));
                    }
                }, new Reset(201, REFUSED_STREAM), "refused_stream"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachNegativeCaseGetsItsErrorAndFerryStaysUp(Case row) throws Exception {
        long before = stats().violations(row.kind());
        try (RawH2 c = row.preface() ? RawH2.open(front) : RawH2.connect(front)) {
            row.script().send(c);
            switch (row.expect()) {
                case GoAway g -> {
                    List<RawH2.Frame> frames = c.readUntil(f -> f.type() == RawH2.GOAWAY, 10_000);
                    assertThat(frames).as("frames until GOAWAY").isNotEmpty();
                    RawH2.Frame last = frames.getLast();
                    assertThat(last.type()).as("%s", frames).isEqualTo(RawH2.GOAWAY);
                    assertThat(last.errorCode()).as("GOAWAY code: %s", last).isEqualTo(g.code());
                    System.out.printf("%s: GOAWAY %d after %d frames read, %d of them RST_STREAM%n", row.name(),
                            last.errorCode(), frames.size() - 1,
                            frames.stream().filter(f -> f.type() == RawH2.RST_STREAM).count());
                    assertThat(c.closedWithin(10_000)).as("the connection closes after GOAWAY").isTrue();
                }
                case Reset r -> {
                    List<RawH2.Frame> frames = c.readUntil(f -> f.type() == RawH2.GOAWAY
                            || f.type() == RawH2.RST_STREAM && f.stream() == r.stream(), 10_000);
                    RawH2.Frame last = frames.getLast();
                    assertThat(last.type()).as("a stream error, not a connection error: %s", last)
                            .isEqualTo(RawH2.RST_STREAM);
                    assertThat(last.errorCode()).isEqualTo(r.code());
                    if (row.kind().equals("refused_stream")) {
                        // The client cancels one of the streams under way, which makes room for one more.
                        c.rst(1, 0x8);
                    }
                    assertConnectionCarriesOn(c, r.next());
                }
                case Status s -> {
                    RawH2.Response response = c.response(s.stream());
                    assertThat(response.status()).isEqualTo(s.status());
                    assertConnectionCarriesOn(c, s.stream() + 2);
                }
            }
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(stats().violations(row.kind())).as("counted once")
                        .isEqualTo(before + 1));
        // Ferry is up: a new connection's request is answered.
        try (RawH2 c = RawH2.open(front)) {
            c.get(1, authority, "/");
            RawH2.Response r = c.response(1);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("o");
        }
    }

    /**
     * A corrupt connection preface. On plaintext a preface that is not one is HTTP/1 (a 400 there); after ALPN chose
     * h2 the bytes must be the preface, and anything else is a connection error: GOAWAY PROTOCOL_ERROR (RFC 9113 3.4).
     */
    @org.junit.jupiter.api.Test
    void aCorruptPrefaceAfterAlpnH2IsGoawayProtocolError(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        dev.ferry.testing.Requirements.requireCommand("openssl", "apt-get install openssl");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=a.test", "-keyout", dir.resolve("a.key").toString(), "-out",
                dir.resolve("a.pem").toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        TestServer o = Origin.naming("o");
        try (Balancer tls = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: tls, listen: 127.0.0.1:0, mode: http, backend: pool,
                      tls: { certificates: [ { cert: %s, key: %s } ] } }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(dir.resolve("a.pem"), dir.resolve("a.key"), o.address()), Path.of("tls.yaml")), 1)) {
            tls.start();
            InetSocketAddress a = tls.address("tls");
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[]{new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String type) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String type) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                    .createSocket(a.getAddress(), a.getPort());
            javax.net.ssl.SSLParameters params = socket.getSSLParameters();
            params.setApplicationProtocols(new String[]{"h2"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
            HttpFrontend f = (HttpFrontend) tls.frontends().getFirst();
            try (RawH2 c = RawH2.over(socket)) {
                c.raw("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                RawH2.Frame last = c.readUntil(fr -> fr.type() == RawH2.GOAWAY, 10).getLast();
                assertThat(last.type()).isEqualTo(RawH2.GOAWAY);
                assertThat(last.errorCode()).isEqualTo(PROTOCOL_ERROR);
                assertThat(c.closedWithin(10)).isTrue();
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> f.http2Stats().violations("protocol_error") == 1);
        } finally {
            o.close();
        }
    }

    /** A stream error leaves the connection up: the next stream on it is answered. */
    private static void assertConnectionCarriesOn(RawH2 c, int stream) throws IOException {
        c.get(stream, authority, "/");
        RawH2.Response next = c.response(stream);
        assertThat(next.status()).as("the next stream on the same connection").isEqualTo(200);
    }
}
