package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upstream pool poisoning (issue 15 item 3): what a server sends after its response has ended must never become the
 * start of the next response on that connection, which may be another client's. A raw origin (a real socket writing
 * exact bytes) answers the first request it gets with a response followed by extra bytes that spell the start of a
 * forged response; a second client on the one-server backend must then get its own answer.
 */
@Timeout(60)
class UpstreamMessageBoundaryTest {
    /** The start of a response nobody asked for; with the next real response behind it, it would read as one. */
    private static final String FORGED = "HTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\n"
            + "Set-Cookie: session=attacker\r\nX-Swallow: ";

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

    /**
     * An origin that answers the first request of all with {@code first} (exact bytes, one write) and every other
     * request with 200 "own TARGET"; each connection's end (the peer closed it) counts {@code closed} down.
     */
    private static TestServer origin(String first, AtomicInteger requests, CountDownLatch closed) {
        return TestServer.start("o", socket -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            try {
                while (true) {
                    Origin.Request r = Origin.read(in, socket, out);
                    if (r == null) {
                        return;
                    }
                    if (requests.getAndIncrement() == 0) {
                        out.write(first.getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                    } else {
                        Origin.text(out, 200, "own " + r.target());
                    }
                }
            } finally {
                closed.countDown();
            }
        });
    }

    private void start(TestServer origin) throws Exception {
        resources.add(origin);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(origin.address()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private FrontendStats stats() {
        return balancer.frontends().getFirst().stats();
    }

    private Raw raw() throws IOException {
        Raw r = new Raw(front);
        resources.add(r);
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a body on a 204           | GET  | 'HTTP/1.1 204 No Content\\r\\n\\r\\n'
            a body on a 304           | GET  | 'HTTP/1.1 304 Not Modified\\r\\nETag: "a"\\r\\n\\r\\n'
            a body on a HEAD answer   | HEAD | 'HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello'
            bytes beyond the length   | GET  | 'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok'
            bytes after a last chunk  | GET  | 'HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n2\\r\\nok\\r\\n0\\r\\n\\r\\n'
            """)
    void bytesAfterTheEndOfAResponseCloseTheServerConnectionAndTheNextClientGetsItsOwnAnswer(String what,
            String method, String response) throws Exception {
        AtomicInteger requests = new AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        start(origin(unescape(response) + FORGED, requests, closed));
        try (Raw first = raw()) {
            first.send(method + " /first HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = first.read(method.equals("HEAD"));
            assertThat(r.header("Location")).as(what).isNull();
        }
        try (Raw second = raw()) {
            second.send("GET /account HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = second.read();
            assertThat(r.status()).as(what).isEqualTo(200);
            assertThat(r.header("Set-Cookie")).as(what).isNull();
            assertThat(r.body()).as(what).isEqualTo("own /account");
        }
        assertThat(closed.await(10, TimeUnit.SECONDS)).as(what + ": the server connection was closed").isTrue();
        assertThat(stats().serverConnectionsDiscarded()).as(what).isEqualTo(1);
    }

    @Test
    void bytesArrivingOnAnIdlePooledConnectionCloseItAndTheNextClientGetsItsOwnAnswer() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        CountDownLatch answered = new CountDownLatch(1);
        TestServer origin = TestServer.start("o", socket -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            try {
                while (true) {
                    Origin.Request r = Origin.read(in, socket, out);
                    if (r == null) {
                        return;
                    }
                    if (requests.getAndIncrement() == 0) {
                        Origin.text(out, 200, "first");
                        // The forged bytes come later, once the first client has its answer (the connection is
                        // idle in the pool by then).
                        if (answered.await(10, TimeUnit.SECONDS)) {
                            out.write(FORGED.getBytes(StandardCharsets.ISO_8859_1));
                            out.flush();
                        }
                    } else {
                        Origin.text(out, 200, "own " + r.target());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closed.countDown();
            }
        });
        start(origin);
        try (Raw first = raw()) {
            first.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(first.read().body()).isEqualTo("first");
        }
        answered.countDown();
        assertThat(closed.await(10, TimeUnit.SECONDS)).as("the idle server connection was closed").isTrue();
        try (Raw second = raw()) {
            second.send("GET /account HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = second.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("own /account");
        }
        assertThat(stats().serverConnectionsDiscarded()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            Content-Length and Transfer-Encoding | 'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n2\\r\\nok\\r\\n0\\r\\n\\r\\n'
            Transfer-Encoding from HTTP/1.0      | 'HTTP/1.0 200 OK\\r\\nConnection: keep-alive\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n2\\r\\nok\\r\\n0\\r\\n\\r\\n'
            """)
    void aResponseWithDoubtfulFramingIsDeliveredAndItsServerConnectionNeverReused(String what, String response)
            throws Exception {
        AtomicInteger requests = new AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        start(origin(unescape(response), requests, closed));
        try (Raw c = raw()) {
            c.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).as(what).isEqualTo(200);
            assertThat(r.body()).as(what).isEqualTo("ok");
            assertThat(r.header("Content-Length")).as(what).isNull();
            assertThat(closed.await(10, TimeUnit.SECONDS)).as(what + ": the server connection was closed").isTrue();
            c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).as(what).isEqualTo("own /next");
        }
        assertThat(stats().serverConnectionsDiscarded()).as(what).isZero();
    }

    private static String unescape(String s) {
        return s.replace("\\r", "\r").replace("\\n", "\n");
    }
}
