package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ferry.proxy.http.StallChecks.MIB;
import static dev.ferry.proxy.http.StallChecks.assertBounded;
import static dev.ferry.proxy.http.StallChecks.awaitStalled;
import static dev.ferry.proxy.http.StallChecks.usedDirectMemory;
import static dev.ferry.proxy.http.StallChecks.usedHeapAfterGc;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flow control end to end over HTTP/2 (issue 18 item 3): 256 MiB each way through Ferry with the far side stalled,
 * for an HTTP/2 client in front of an HTTP/1 server, an HTTP/1 client in front of an h2c server, and HTTP/2 on both
 * sides. Each time the sender stops (its counter stands still), what is in flight and Ferry's memory stay bounded
 * ({@link StallChecks}), and once the far side moves again every byte arrives.
 */
@Timeout(300)
class Http2FlowControlTest {
    private static final long TOTAL = 256 * MIB;
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

    private InetSocketAddress start(String address, String protocol) throws Exception {
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - { name: pool, protocol: %s, timeouts: { response: 120s }, servers: [ { name: o, address: %s } ] }
                """.formatted(protocol, address), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer.address("web");
    }

    private <T extends AutoCloseable> T keep(T r) {
        resources.add(r);
        return r;
    }

    private H2FlowClient client(InetSocketAddress front) throws InterruptedException {
        return keep(new H2FlowClient(front));
    }

    @Test
    void aStalledHttp2ClientStallsAnHttp1ServersDownload() throws Exception {
        AtomicLong written = new AtomicLong();
        byte[] chunk = new byte[64 * 1024];
        TestServer origin = keep(TestServer.start("push", s -> {
            Origin.read(s.getInputStream(), s, s.getOutputStream());
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + TOTAL + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            while (written.get() < TOTAL) {
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
        }));
        InetSocketAddress front = start(origin.address().toString(), "http/1.1");
        downloadStallingTheClient(front, written);
    }

    @Test
    void aStalledHttp2ClientStallsAnH2cServersDownload() throws Exception {
        H2BulkOrigin origin = keep(new H2BulkOrigin(TOTAL));
        InetSocketAddress front = start(origin.address(), "h2c");
        downloadStallingTheClient(front, origin.written);
    }

    private void downloadStallingTheClient(InetSocketAddress front, AtomicLong written) throws Exception {
        long heapBefore = usedHeapAfterGc();
        long directBefore = usedDirectMemory();
        H2FlowClient c = client(front);
        c.pause();
        c.request("GET", "/big", true);
        assertThat(c.head.get(20, TimeUnit.SECONDS).status().toString()).isEqualTo("200");
        awaitStalled(written);
        // The client's 64 KiB windows are shut: the server stopped, with at most kernel buffers and Ferry's share.
        assertThat(c.received.get()).isLessThanOrEqualTo(64 * 1024);
        assertBounded(written.get() - c.received.get(), heapBefore, directBefore);
        c.resume();
        assertThat(c.done.get(120, TimeUnit.SECONDS)).isEqualTo(TOTAL);
    }

    @Test
    void aStalledHttp1ServerStallsAnHttp2ClientsUpload() throws Exception {
        CountDownLatch resume = new CountDownLatch(1);
        TestServer origin = keep(TestServer.start("sink", s -> {
            InputStream in = s.getInputStream();
            while (!Origin.readLine(in).isEmpty()) {
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
        InetSocketAddress front = start(origin.address().toString(), "http/1.1");
        long heapBefore = usedHeapAfterGc();
        long directBefore = usedDirectMemory();
        H2FlowClient c = client(front);
        c.request("POST", "/up", false, TOTAL);
        c.upload(TOTAL);
        awaitStalled(c.sent);
        assertThat(c.sent.get()).isLessThan(TOTAL);
        assertBounded(c.sent.get() - MIB, heapBefore, directBefore);
        resume.countDown();
        c.done.get(120, TimeUnit.SECONDS);
        assertThat(c.sent.get()).isEqualTo(TOTAL);
        assertThat(c.body()).isEqualTo("got " + TOTAL);
    }

    @Test
    void aStalledH2cServerStallsAnHttp1ClientsUpload() throws Exception {
        H2BulkOrigin origin = keep(new H2BulkOrigin(0));
        origin.pause();
        InetSocketAddress front = start(origin.address(), "h2c");
        long heapBefore = usedHeapAfterGc();
        long directBefore = usedDirectMemory();
        AtomicLong sent = new AtomicLong();
        Raw c = keep(new Raw(front));
        c.socket.setSendBufferSize(64 * 1024);
        OutputStream out = c.socket.getOutputStream();
        ExecutorService writerThread = Executors.newSingleThreadExecutor();
        resources.add(writerThread::shutdownNow);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                out.write(("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + TOTAL + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[64 * 1024];
                while (sent.get() < TOTAL) {
                    out.write(buf);
                    sent.addAndGet(buf.length);
                }
                out.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, writerThread);
        awaitStalled(sent);
        assertThat(sent.get()).isLessThan(TOTAL);
        assertBounded(sent.get() - origin.got.get(), heapBefore, directBefore);
        origin.resume();
        writer.get(120, TimeUnit.SECONDS);
        assertThat(c.read().body()).isEqualTo("got " + TOTAL);
    }

    @Test
    void aStalledHttp1ClientStallsAnH2cServersDownload() throws Exception {
        H2BulkOrigin origin = keep(new H2BulkOrigin(TOTAL));
        InetSocketAddress front = start(origin.address(), "h2c");
        long heapBefore = usedHeapAfterGc();
        long directBefore = usedDirectMemory();
        Raw c = keep(new Raw(front));
        c.socket.setReceiveBufferSize(64 * 1024);
        c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
        InputStream in = c.in;
        long read = in.readNBytes((int) MIB).length;
        awaitStalled(origin.written);
        assertBounded(origin.written.get() - read, heapBefore, directBefore);
        byte[] buf = new byte[256 * 1024];
        for (int n; read < TOTAL && (n = in.read(buf)) > 0; ) {
            read += n;
        }
        assertThat(read).isBetween(TOTAL, TOTAL + 300);
    }

    @Test
    void anHttp1ServerThatAnswersBeforeTheUploadEndedIsHeardByTheHttp2Client() throws Exception {
        TestServer origin = keep(TestServer.start("early", s -> {
            InputStream in = s.getInputStream();
            while (!Origin.readLine(in).isEmpty()) {
                // head
            }
            in.readNBytes((int) MIB);
            Origin.text(s.getOutputStream(), 413, "enough", "Connection: close");
            // Lingering, as servers do: the rest is read and dropped until Ferry closes, so no reset destroys the
            // answer on its way.
            s.shutdownOutput();
            byte[] drop = new byte[64 * 1024];
            while (in.read(drop) > 0) {
                // dropped
            }
        }));
        InetSocketAddress front = start(origin.address(), "http/1.1");
        H2FlowClient c = client(front);
        c.request("POST", "/up", false);
        c.upload(TOTAL);
        assertThat(c.head.get(20, TimeUnit.SECONDS).status().toString()).isEqualTo("413");
        c.done.get(20, TimeUnit.SECONDS);
        assertThat(c.body()).isEqualTo("enough");
        // The rest of the upload is refused without error (RFC 9113 8.1: RST_STREAM NO_ERROR after the response).
        assertThat(c.reset.get(20, TimeUnit.SECONDS)).isEqualTo(0L);
        assertThat(c.sent.get()).isLessThan(TOTAL);
    }
}
