package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ferry.proxy.http.StallChecks.assertBounded;
import static dev.ferry.proxy.http.StallChecks.awaitStalled;
import static dev.ferry.proxy.http.StallChecks.usedDirectMemory;
import static dev.ferry.proxy.http.StallChecks.usedHeapAfterGc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bodies stream through Ferry in both directions with backpressure and bounded memory; chunked encoding,
 * {@code Expect: 100-continue}, HEAD, 204 and 304 follow RFC 9112.
 */
@Timeout(180)
class HttpStreamingTest {
    private static final long MIB = 1024 * 1024;
    private static final long TOTAL = 256 * MIB;
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

    private Raw raw() throws IOException {
        Raw r = new Raw(front);
        resources.add(r);
        return r;
    }

    @Test
    void aLargeDownloadToAStalledClientStallsTheServerAndMemoryStaysBounded() throws Exception {
        AtomicLong written = new AtomicLong();
        byte[] chunk = new byte[64 * 1024];
        start(TestServer.start("push", s -> {
            Origin.read(s.getInputStream(), s, s.getOutputStream());
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + TOTAL + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            while (written.get() < TOTAL) {
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
        }));
        long heapBefore = usedHeapAfterGc();
        long directBefore = usedDirectMemory();
        try (Raw c = raw()) {
            c.socket.setReceiveBufferSize(64 * 1024);
            c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
            InputStream in = c.in;
            long read = in.readNBytes((int) MIB).length;
            awaitStalled(written);
            assertBounded(written.get() - read, heapBefore, directBefore);
            byte[] buf = new byte[256 * 1024];
            for (int n; read < TOTAL && (n = in.read(buf)) > 0; ) {
                read += n;
            }
            // the head (a few dozen bytes) came first: everything after it arrived
            assertThat(read).isBetween(TOTAL, TOTAL + 200);
        }
    }

    @Test
    void aLargeUploadToAStalledServerStallsTheClientAndMemoryStaysBounded() throws Exception {
        CountDownLatch resume = new CountDownLatch(1);
        start(TestServer.start("sink", s -> {
            InputStream in = s.getInputStream();
            String line;
            while (!(line = Origin.readLine(in)).isEmpty()) {
                // head
            }
            long got = in.readNBytes((int) MIB).length;
            try {
                resume.await();
            } catch (InterruptedException e) {
                return;
            }
            byte[] buf = new byte[256 * 1024];
            for (int n; got < TOTAL && (n = in.read(buf)) > 0; ) {
                got += n;
            }
            Origin.text(s.getOutputStream(), 200, "got " + got);
        }));
        long heapBefore = usedHeapAfterGc();
        long directBefore = usedDirectMemory();
        AtomicLong sent = new AtomicLong();
        try (Raw c = raw()) {
            c.socket.setSendBufferSize(64 * 1024);
            OutputStream out = c.socket.getOutputStream();
            java.util.concurrent.ExecutorService writerThread = java.util.concurrent.Executors.newSingleThreadExecutor();
            resources.add(writerThread::shutdownNow);
            // Its own thread, not the common pool: this writer blocks on purpose while the server stalls.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    out.write(("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + TOTAL + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[64 * 1024];
                    while (sent.get() < TOTAL) {
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, writerThread);
            awaitStalled(sent);
            assertBounded(sent.get() - MIB, heapBefore, directBefore);
            resume.countDown();
            writer.get();
            Raw.Response r = c.read();
            assertThat(r.body()).isEqualTo("got " + TOTAL);
        }
    }

    /**
     * Both deltas are measured from before this transfer: the allocator is shared by every test in this JVM and
     * keeps the chunks earlier tests pooled, so its absolute figure says nothing about what this stall holds.
     */
    @Test
    void chunkedBodiesPassBothWays() throws Exception {
        start(Origin.start("o", (r, out, s) -> {
            out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\necho:\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] b = r.body();
            out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.write("\r\n0\r\nX-Trailer: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return true;
        }));
        try (Raw c = raw()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(r.body()).isEqualTo("echo:abcdefg");
            // and the connection stays usable
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nxy");
            assertThat(c.read().body()).isEqualTo("echo:xy");
        }
        // Every byte each way is counted in the frontend's stats, framing included.
        var stats = balancer.frontends().get(0).stats();
        assertThat(stats.bytesFromClients()).isEqualTo(
                ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n"
                        + "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nxy").length());
        assertThat(stats.bytesToClients()).isGreaterThan(2 * "HTTP/1.1 200 OK\r\n".length());
    }

    @Test
    void expectContinueIsRelayedBeforeTheBodyIsSent() throws Exception {
        start(Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "got " + r.bodyText());
            return true;
        }));
        try (Raw c = raw()) {
            c.send("PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
            Raw.Response interim = c.read();
            assertThat(interim.status()).isEqualTo(100);
            c.send("data");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("got data");
        }
    }

    @Test
    void theJdkClientsExpectContinueWorksToo() throws Exception {
        start(Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "got " + r.body().length);
            return true;
        }));
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + "/"))
                    .expectContinue(true).POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).isEqualTo("got 100000");
        }
    }

    @Test
    void headNoContentAndNotModifiedCarryNoBody() throws Exception {
        start(Origin.start("o", (r, out, s) -> {
            String t = r.target();
            if (t.equals("/204")) {
                out.write("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else if (t.equals("/304")) {
                out.write("HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else if (r.method().equals("HEAD")) {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                Origin.text(out, 200, "body");
            }
            return true;
        }));
        try (Raw c = raw()) {
            c.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response head = c.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("1234");
            c.send("GET /204 HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response none = c.read();
            assertThat(none.status()).isEqualTo(204);
            assertThat(none.header("Transfer-Encoding")).isNull();
            c.send("GET /304 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(304);
            // Had any of them carried body bytes, this response would be garbled.
            c.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("body");
        }
    }

    @Test
    void aCloseDelimitedResponseReachesAnHttp11ClientChunkedAndAnHttp10ClientCloseDelimited() throws Exception {
        start(Origin.start("o", (r, out, s) -> {
            out.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close".getBytes(StandardCharsets.US_ASCII));
            return false;
        }));
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(r.body()).isEqualTo("until close");
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("until close");
        }
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.0\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.header("Transfer-Encoding")).isNull();
            assertThat(r.body()).isEqualTo("until close");
        }
    }
}
