package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * HTTP/2 towards servers (issue 18 item 2): backends with {@code protocol: h2c} in front of Netty h2c origins
 * ({@link H2Origin}), with HTTP/1 clients (the JDK's client, raw sockets) and HTTP/2 clients (nghttp): requests as
 * streams of few shared connections, spread one by one over the servers; a server's active count is its open
 * streams; bodies both ways and trailers; REFUSED_STREAM and GOAWAY resent elsewhere whatever the method; the
 * server's stream limit, the pool's connection limit and {@code max_connection_age}.
 */
@Timeout(120)
class Http2UpstreamTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
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

    private H2Origin origin(H2Origin o) {
        resources.add(o);
        return o;
    }

    private InetSocketAddress start(String backendExtra, String servers) throws Exception {
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - name: pool
                    protocol: h2c
                %s
                    servers:
                %s
                """.formatted(backendExtra.indent(4), servers.indent(6)), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer.address("front");
    }

    private Server server(String name) {
        return balancer.backends().get("pool").server(name).orElseThrow();
    }

    private HttpFrontend frontend() {
        return (HttpFrontend) balancer.frontends().getFirst();
    }

    private HttpResponse<String> get(InetSocketAddress front, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(InetSocketAddress front, String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + path))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anHttp1RequestReachesAnH2cServerAsAStreamWithItsHeadTranslated() throws Exception {
        H2Origin o = origin(H2Origin.naming("o"));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        HttpResponse<String> r = get(front, "/p?q=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("o GET /p?q=1");
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain");
        assertThat(r.headers().firstValue("via")).hasValue("2 ferry");
        H2Origin.Request seen = o.requests.getFirst();
        assertThat(seen.header(":scheme")).isEqualTo("http");
        assertThat(seen.header(":authority")).isEqualTo("127.0.0.1:" + front.getPort());
        assertThat(seen.header("host")).isNull();
        assertThat(seen.header("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(seen.header("via")).isEqualTo("1.1 ferry");
        assertThat(seen.header("connection")).isNull();
    }

    @Test
    void requestsOfOneHttp2ClientConnectionSpreadOverTheServersInWrrProportionOnFewConnections() throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        H2Origin a = origin(H2Origin.naming("a"));
        H2Origin b = origin(H2Origin.naming("b"));
        InetSocketAddress front = start("scheduler: wrr", """
                - { name: a, address: %s, weight: 3 }
                - { name: b, address: %s, weight: 1 }""".formatted(a.address(), b.address()));
        List<String> command = new ArrayList<>(List.of("nghttp", "-n", "-s", "-m", "40"));
        command.add("http://127.0.0.1:" + front.getPort() + "/x");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        // 40 streams of one client connection: 30 to a, 10 to b, each over one shared connection.
        assertThat(a.requests).hasSize(30);
        assertThat(b.requests).hasSize(10);
        assertThat(a.connections.get()).isEqualTo(1);
        assertThat(b.connections.get()).isEqualTo(1);
        assertThat(frontend().requestsByProtocol().h2()).isEqualTo(40);
    }

    @Test
    void aServersActiveCountIsItsOpenStreamsAndItsInactiveCountItsIdleConnections() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        H2Origin o = origin(H2Origin.start("o", (r, reply) -> Thread.ofVirtual().start(() -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply.text("late");
        })));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + "/"
                    + i)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        Server s = server("o");
        await().atMost(Duration.ofSeconds(10)).until(() -> o.open.get() == 5);
        assertThat(s.active()).isEqualTo(5);
        assertThat(s.inactive()).isZero();
        assertThat(o.connections.get()).isEqualTo(1);
        release.countDown();
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertThat(c.get(20, TimeUnit.SECONDS).body()).isEqualTo("late");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> s.active() == 0 && s.inactive() == 1);
        assertThat(s.totalConnections()).isEqualTo(5);
    }

    @Test
    void aLargeRequestBodyGoesToTheServerAndItsEchoComesBackWhole() throws Exception {
        H2Origin o = origin(H2Origin.start("o", (r, reply) -> reply.send(200, r.body(),
                Map.of("content-type", "application/octet-stream"), Map.of())));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        byte[] body = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(body);
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort()
                        + "/echo")).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(body);
        assertThat(o.requests.getFirst().header(":method")).isEqualTo("POST");
        assertThat(o.requests.getFirst().header("content-length")).isEqualTo(String.valueOf(body.length));
    }

    @Test
    void trailersOfAnHttp2ServerReachHttp2AndHttp1Clients() throws Exception {
        Requirements.requireCommand("nghttp", "apt-get install nghttp2-client");
        H2Origin o = origin(H2Origin.start("o", (r, reply) -> reply.send(200, "body".getBytes(StandardCharsets.UTF_8),
                Map.of("content-type", "application/grpc"), Map.of("grpc-status", "0", "grpc-message", "fine"))));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        Process p = new ProcessBuilder("nghttp", "-v", "http://127.0.0.1:" + front.getPort() + "/svc/Call")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("grpc-status: 0").contains("grpc-message: fine");
        try (Socket c = new Socket("127.0.0.1", front.getPort())) {
            c.setSoTimeout(10_000);
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            String response = readUntil(c.getInputStream(), "\r\n0\r\n");
            response += readUntil(c.getInputStream(), "\r\n\r\n");
            assertThat(response).startsWith("HTTP/1.1 200").contains("transfer-encoding: chunked")
                    .contains("4\r\nbody\r\n").containsIgnoringCase("grpc-status: 0");
        }
    }

    @Test
    void anHttp2ClientsTeTrailersReachesAnHttp2Server() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        H2Origin o = origin(H2Origin.naming("o"));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        Process p = new ProcessBuilder("curl", "-s", "--http2-prior-knowledge", "-H", "te: trailers",
                "http://127.0.0.1:" + front.getPort() + "/t").redirectErrorStream(true).start();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("o GET /t");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(o.requests.getFirst().header("te")).isEqualTo("trailers");
    }

    @Test
    void aRefusedStreamIsSentToAnotherServerWhateverTheMethodAndCountsAgainstNobody() throws Exception {
        H2Origin refusing = origin(H2Origin.start("r", (r, reply) -> reply.refuse()));
        H2Origin good = origin(H2Origin.naming("g"));
        InetSocketAddress front = start("scheduler: rr", """
                - { name: r, address: %s }
                - { name: g, address: %s }""".formatted(refusing.address(), good.address()));
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = post(front, "/p" + i, new byte[0]);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("g POST /p" + i);
        }
        assertThat(refusing.requests).isNotEmpty();
        assertThat(server("r").failures()).isZero();
        assertThat(server("r").healthy()).isTrue();
    }

    @Test
    void streamsAboveTheLastStreamIdOfAGoawayAreSentAgainOnANewConnection() throws Exception {
        CountDownLatch first = new CountDownLatch(1);
        List<H2Origin.Reply> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        H2Origin o = origin(H2Origin.start("o", (r, reply) -> {
            if (r.connection() == 1 && held.isEmpty()) {
                // The first stream is held; the second makes the server go away after the first.
                held.add(reply);
                first.countDown();
            } else if (r.connection() == 1) {
                reply.goAway(held.getFirst().streamId());
                held.getFirst().text("first");
            } else {
                reply.text("again " + r.headers().path());
            }
        }));
        InetSocketAddress front = start("", "- { name: o, address: %s }".formatted(o.address()));
        CompletableFuture<HttpResponse<String>> a = http.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + front.getPort() + "/a")).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> b = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + front.getPort() + "/b")).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(b.statusCode()).isEqualTo(200);
        assertThat(b.body()).isEqualTo("again /b");
        assertThat(a.get(10, TimeUnit.SECONDS).body()).isEqualTo("first");
        assertThat(o.connections.get()).isEqualTo(2);
        assertThat(server("o").failures()).isZero();
    }

    @Test
    void theServersStreamLimitOpensMoreConnectionsAndThePoolLimitAnswers503() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        H2Origin o = origin(H2Origin.start("o", 2, (r, reply) -> Thread.ofVirtual().start(() -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply.text("ok");
        })));
        InetSocketAddress front = start("retries: 0\nhttp2: { max_connections: 2 }",
                "- { name: o, address: %s }".formatted(o.address()));
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + "/"
                    + i)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
            int n = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> o.open.get() == n);
        }
        // Two connections of two streams each: the fifth request finds no room and no connection left to open.
        assertThat(o.connections.get()).isEqualTo(2);
        HttpResponse<String> refused = get(front, "/5");
        assertThat(refused.statusCode()).isEqualTo(503);
        release.countDown();
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertThat(c.get(20, TimeUnit.SECONDS).body()).isEqualTo("ok");
        }
        assertThat(get(front, "/6").body()).isEqualTo("ok");
        assertThat(server("o").failures()).isZero();
    }

    @Test
    void aConnectionPastMaxConnectionAgeTakesNoNewStream() throws Exception {
        H2Origin o = origin(H2Origin.naming("o"));
        InetSocketAddress front = start("max_connection_age: 300ms", "- { name: o, address: %s }".formatted(
                o.address()));
        assertThat(get(front, "/1").body()).isEqualTo("o GET /1");
        assertThat(get(front, "/2").body()).isEqualTo("o GET /2");
        assertThat(o.connections.get()).isEqualTo(1);
        // Once the first connection is past its age, the next request opens a second one.
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertThat(get(front, "/3").body()).isEqualTo("o GET /3");
            return o.connections.get() == 2;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> server("o").inactive() == 1);
    }

    @Test
    void aServerThatDiesBeforeAnsweringIsAFailureAndAnIdempotentRequestGoesElsewhere() throws Exception {
        H2Origin dying = origin(H2Origin.start("d", (r, reply) -> reply.kill()));
        H2Origin good = origin(H2Origin.naming("g"));
        InetSocketAddress front = start("scheduler: rr", """
                - { name: d, address: %s }
                - { name: g, address: %s }""".formatted(dying.address(), good.address()));
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = get(front, "/k" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("g GET /k" + i);
        }
        assertThat(server("d").failures()).isPositive();
        HttpResponse<String> post = post(front, "/once", new byte[0]);
        // A POST the dying server took is not sent again: 502, or the other server's answer when it was picked.
        assertThat(post.statusCode()).isIn(200, 502);
    }

    private static String readUntil(InputStream in, String end) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }
}
