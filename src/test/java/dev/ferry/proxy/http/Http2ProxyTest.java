package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/2 from clients (issue 18 item 1) through Ferry to HTTP/1 origins, with real clients: curl
 * {@code --http2-prior-knowledge} (h2c) and {@code --http2} over TLS (h2 by ALPN), nghttp with many streams on one
 * connection spread over several servers, h2load, a large POST body, {@code protocols: [http/1.1]}, and raw frames
 * for a malformed request. The tools come from Debian's {@code nghttp2-client} and {@code curl}; in CI a missing
 * tool fails the test.
 */
@Timeout(120)
class Http2ProxyTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private TestServer origin(TestServer s) {
        resources.add(s);
        return s;
    }

    private InetSocketAddress start(String frontendExtra, String servers) throws Exception {
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - name: front
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                %s
                backends:
                  - name: pool
                    scheduler: wrr
                    servers:
                %s
                """.formatted(frontendExtra.indent(4), servers.indent(6)), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer.address("front");
    }

    private static String url(String scheme, InetSocketAddress a, String path) {
        return scheme + "://127.0.0.1:" + a.getPort() + path;
    }

    /** Runs a command, returns its standard output; fails on a non-zero exit. */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), err).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void curlWithPriorKnowledgeReachesAnHttp1OriginWithTheHeadersTranslated() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        Origin seen = new Origin();
        TestServer o = origin(Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "hello h2", "X-From: origin", "Connection: keep-alive", "Keep-Alive: timeout=5");
            return true;
        }, seen));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        String out = run("curl", "-s", "--http2-prior-knowledge", "-D", "-", "-H", "cookie: a=1", "-H", "cookie: b=2",
                "-H", "te: trailers", "-H", "x-request-id: r-1", url("http", front, "/p?q=1"));
        assertThat(out).startsWith("HTTP/2 200").contains("x-from: origin").contains("via: 1.1 ferry")
                .doesNotContain("keep-alive").endsWith("hello h2");
        Origin.Request r = seen.requests.getFirst();
        assertThat(r.method()).isEqualTo("GET");
        assertThat(r.target()).isEqualTo("/p?q=1");
        assertThat(r.version()).isEqualTo("HTTP/1.1");
        assertThat(r.headers().getFirst()[0]).isEqualTo("host");
        assertThat(r.header("Host")).isEqualTo("127.0.0.1:" + front.getPort());
        assertThat(r.all("Cookie")).containsExactly("a=1; b=2");
        assertThat(r.header("TE")).isNull();
        assertThat(r.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(r.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(r.header("Via")).isEqualTo("2 ferry");
        assertThat(r.header("X-Request-Id")).isEqualTo("r-1");
        assertThat(((HttpFrontend) balancer.frontends().getFirst()).requestsByProtocol().h2()).isEqualTo(1);
    }

    private InetSocketAddress startWithBackend(String backendExtra, String servers) throws Exception {
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - name: pool
                    scheduler: rr
                %s
                    servers:
                %s
                """.formatted(backendExtra.indent(4), servers.indent(6)), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer.address("front");
    }

    @Test
    void streamsWhoseServerRefusesTheConnectAreRetriedOnAnotherServer() throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        TestServer o = origin(Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "from o");
            return true;
        }));
        InetSocketAddress front = startWithBackend("retries: 2", """
                - { name: gone, address: 127.0.0.1:%d }
                - { name: o, address: %s }""".formatted(TestServer.closedPort(), o.address()));
        // Six concurrent streams of one connection (curl 7.88 cannot reuse a prior-knowledge connection for a
        // second URL: it fails with exit 16 against HAProxy too).
        String out = run("nghttp", "-n", "-s", "-m", "6", url("http", front, "/"));

        // Every stream was answered, those scheduled on the refusing server by the other one.
        assertThat(out.lines().filter(l -> l.contains(" 200 ")).count()).as(out).isEqualTo(6);
        assertThat(balancer.backends().get("pool").server("gone").orElseThrow().failures()).isPositive();
    }

    @Test
    void aServerThatDoesNotAnswerInTimeGivesTheStreamA504AndTheConnectionCarriesOn() throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        // The slow request is answered only once the test has seen its 504 (or after 10 s).
        java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(1);
        resources.add(answered::countDown);
        TestServer o = origin(Origin.start("o", (r, out, s) -> {
            if (r.target().equals("/slow")) {
                try {
                    answered.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Origin.text(out, 200, "in time");
            return true;
        }));
        InetSocketAddress front = startWithBackend("timeouts: { response: 300ms }\nretries: 0",
                "- { name: o, address: %s }".formatted(o.address()));

        String out = run("nghttp", "-n", "-s", url("http", front, "/slow"), url("http", front, "/fast"));

        // Two streams of one connection: the slow one ends in 504, the other is answered meanwhile.
        assertThat(out.lines().filter(l -> l.contains(" 504 ") && l.contains("/slow")).count()).as(out).isEqualTo(1);
        assertThat(out.lines().filter(l -> l.contains(" 200 ") && l.contains("/fast")).count()).as(out).isEqualTo(1);
    }

    @Test
    void curlOverTlsNegotiatesH2ByAlpnAndHttp1StillWorks() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        Requirements.requireCommand("openssl", "apt-get install openssl");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=a.test",
                "-addext", "subjectAltName=DNS:a.test", "-keyout", dir.resolve("a.key").toString(),
                "-out", dir.resolve("a.pem").toString());
        TestServer o = origin(Origin.naming("o"));
        InetSocketAddress front = start("""
                tls:
                  certificates:
                    - { cert: %s, key: %s }
                """.formatted(dir.resolve("a.pem"), dir.resolve("a.key")), "- { name: o, address: %s }"
                .formatted(o.address()));
        assertThat(run("curl", "-sk", "--http2", "-w", " %{http_version}", url("https", front, "/")))
                .isEqualTo("o 2");
        assertThat(run("curl", "-sk", "--http1.1", "-w", " %{http_version}", url("https", front, "/")))
                .isEqualTo("o 1.1");
    }

    @Test
    void streamsOfOneConnectionSpreadOverTheServersInWrrProportion() throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        TestServer a = origin(Origin.naming("a"));
        TestServer b = origin(Origin.naming("b"));
        TestServer c = origin(Origin.naming("c"));
        InetSocketAddress front = start("", """
                - { name: a, address: %s, weight: 3 }
                - { name: b, address: %s, weight: 2 }
                - { name: c, address: %s, weight: 1 }
                """.formatted(a.address(), b.address(), c.address()));
        // One connection, 60 concurrent streams (-m repeats the request on the same connection).
        String out = run("nghttp", "-n", "-s", "-m", "60", url("http", front, "/"));
        assertThat(out.lines().filter(l -> l.contains(" 200 ")).count()).isEqualTo(60);
        Map<String, Long> perServer = new TreeMap<>();
        for (var s : balancer.backends().get("pool").servers()) {
            perServer.put(s.name(), s.requests().count("2xx"));
        }
        System.out.println("h2 streams of one connection per server (wrr 3:2:1): " + perServer);
        assertThat(perServer).isEqualTo(Map.of("a", 30L, "b", 20L, "c", 10L));
    }

    @Test
    void h2loadCompletesEveryRequestWithoutErrors() throws Exception {
        Requirements.requireCommand("h2load", "apt-get install nghttp2-client");
        TestServer a = origin(Origin.naming("a"));
        TestServer b = origin(Origin.naming("b"));
        InetSocketAddress front = start("", """
                - { name: a, address: %s }
                - { name: b, address: %s }
                """.formatted(a.address(), b.address()));
        String out = run("h2load", "-n", "5000", "-c", "4", "-m", "16", url("http", front, "/"));
        Matcher m = Pattern.compile("requests: (\\d+) total, \\d+ started, (\\d+) done, (\\d+) succeeded, "
                + "(\\d+) failed, (\\d+) errored, (\\d+) timeout").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        Matcher rate = Pattern.compile("finished in [^,]+, ([\\d.]+) req/s").matcher(out);
        assertThat(rate.find()).isTrue();
        System.out.println("h2load -n 5000 -c 4 -m 16 through Ferry: " + rate.group(1) + " req/s, " + m.group(0));
        assertThat(m.group(3)).isEqualTo("5000");
        assertThat(m.group(4) + m.group(5) + m.group(6)).isEqualTo("000");
    }

    @Test
    void aLargePostBodyArrivesWhole() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        TestServer o = origin(Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, sha256(r.body()) + " " + r.body().length + " " + r.header("Transfer-Encoding"));
            return true;
        }));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        byte[] body = new byte[5 * 1024 * 1024 + 17];
        new Random(18).nextBytes(body);
        Path file = dir.resolve("body");
        Files.write(file, body);
        // With a length: sent on with it; without one: chunked to the HTTP/1 server.
        assertThat(run("curl", "-s", "--http2-prior-knowledge", "--data-binary", "@" + file,
                url("http", front, "/up"))).isEqualTo(sha256(body) + " " + body.length + " null");
        assertThat(run("curl", "-s", "--http2-prior-knowledge", "-T", file.toString(), "-H", "content-length:",
                url("http", front, "/up"))).isEqualTo(sha256(body) + " " + body.length + " chunked");
    }

    @Test
    void withoutH2InProtocolsPriorKnowledgeIsRefusedAsHttp1RefusesIt() throws Exception {
        TestServer o = origin(Origin.naming("o"));
        String servers = "- { name: o, address: %s }".formatted(o.address());
        InetSocketAddress h1Only = start("http: { protocols: [http/1.1] }", servers);
        String refused = preface(h1Only);
        assertThat(refused).startsWith("HTTP/1.1 400").contains("HTTP/2.0 is not supported");
        balancer.close();
        balancer = null;
        // The same bytes to a frontend that speaks h2 start an HTTP/2 connection: the server's SETTINGS frame.
        InetSocketAddress both = start("", servers);
        assertThat(preface(both)).doesNotStartWith("HTTP/1.1");
    }

    /** Sends the HTTP/2 connection preface; returns what came back within a second. */
    private static String preface(InetSocketAddress a) throws IOException {
        try (Socket s = new Socket(a.getAddress(), a.getPort())) {
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // what arrived so far is the answer (a close with unread bytes may come as a reset)
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aMalformedRequestResetsItsStreamAndTheNextStreamStillWorks() throws Exception {
        TestServer o = origin(Origin.naming("o"));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        try (Socket s = new Socket(front.getAddress(), front.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(out, 4, 0, 0, new byte[0]);
            String authority = "127.0.0.1:" + front.getPort();
            // Stream 1: an empty :path; 3: an upper-case field name; 5: a connection-specific field;
            // 7: :path in absolute form; 9: a good request.
            frame(out, 1, 0x5, 1, block(":method", "GET", ":scheme", "http", ":authority", authority, ":path", ""));
            frame(out, 1, 0x5, 3, block(":method", "GET", ":scheme", "http", ":authority", authority, ":path", "/",
                    "X-Upper", "1"));
            frame(out, 1, 0x5, 5, block(":method", "GET", ":scheme", "http", ":authority", authority, ":path", "/",
                    "connection", "close"));
            frame(out, 1, 0x5, 7, block(":method", "GET", ":scheme", "http", ":authority", authority, ":path",
                    "http://x/"));
            frame(out, 1, 0x5, 9, block(":method", "GET", ":scheme", "http", ":authority", authority, ":path", "/"));
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            Map<Integer, Integer> resets = new TreeMap<>();
            boolean answered = false;
            while (!answered) {
                int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                assertThat(type).as("no GOAWAY: the connection stays").isNotEqualTo(7);
                if (type == 3) {
                    resets.put(stream, java.nio.ByteBuffer.wrap(payload).getInt());
                } else if (type == 0 && stream == 9 && (flags & 1) != 0) {
                    answered = new String(payload, StandardCharsets.UTF_8).endsWith("o") || length == 0;
                } else if (type == 1 && stream == 9 && (flags & 1) != 0) {
                    answered = true;
                }
            }
            // PROTOCOL_ERROR (1) on each malformed stream.
            assertThat(resets).isEqualTo(Map.of(1, 1, 3, 1, 5, 1, 7, 1));
        }
        assertThat(o.accepted()).isEqualTo(1);
    }

    private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(new byte[]{(byte) (payload.length >> 16), (byte) (payload.length >> 8), (byte) payload.length,
                (byte) type, (byte) flags, (byte) (stream >> 24), (byte) (stream >> 16), (byte) (stream >> 8),
                (byte) stream});
        out.write(payload);
    }

    /** An HPACK block of literal fields without indexing and without Huffman coding (RFC 7541 6.2.2). */
    private static byte[] block(String... nameValues) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < nameValues.length; i += 2) {
            b.write(0);
            for (String s : new String[]{nameValues[i], nameValues[i + 1]}) {
                byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
                b.write(bytes.length);
                b.writeBytes(bytes);
            }
        }
        return b.toByteArray();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
