package dev.ferry.proxy.tcp;

import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * TCP half-close through Ferry (issue 15, item 1): after one side's FIN the other direction carries on, with
 * backpressure, until its sender closes. A slow reader on the open direction makes Ferry's socket buffer towards it
 * fill, so Ferry must wait for the socket to become writable again on a socket whose input has ended (with Netty's
 * epoll transport that socket had dropped out of the epoll set, and the connection was reset). Both transports,
 * both directions, real sockets.
 */
@Timeout(180)
class TcpHalfCloseTest {
    private static final long TOTAL = 32L * 1024 * 1024;
    private static final long MIB = 1024 * 1024;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private InetSocketAddress start(String transport, TestServer server) throws Exception {
        resources.add(server);
        boolean epoll = transport.equals("epoll");
        if (epoll) {
            Requirements.require(Epoll.isAvailable(), "Netty's native epoll transport (Linux)");
        }
        Balancer balancer = new Balancer(Configs.tcp("rr").server(server, 1).build(), 1, epoll);
        balancer.start();
        resources.add(0, balancer);
        assertThat(balancer.transport().name()).isEqualTo(transport);
        return balancer.address("front");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void afterTheClientsFinTheServersLongAnswerArrivesWholeAtAReadersPace(String transport) throws Exception {
        AtomicLong written = new AtomicLong();
        InetSocketAddress front = start(transport, TestServer.start("S", s -> {
            s.getInputStream().readAllBytes(); // the request, up to the client's FIN
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[64 * 1024];
            for (long at = 0; at < TOTAL; at += chunk.length) {
                Pattern.fill(chunk, at);
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
        }));
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(front, 5_000);
            client.setSoTimeout(30_000);
            client.getOutputStream().write("GET /big HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput(); // as nc -N does

            InputStream in = client.getInputStream();
            long read = 0;
            // The reader lags: every buffer on the way fills and Ferry waits for the client socket to drain, three
            // times over.
            for (int pause = 0; pause < 3; pause++) {
                awaitStalled(written);
                read += Pattern.readAndCheck(in, read, 4 * MIB);
            }
            read += Pattern.readAndCheck(in, read, Long.MAX_VALUE);
            assertThat(read).isEqualTo(TOTAL);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void afterTheServersFinTheClientsLongUploadArrivesWholeAtTheServersPace(String transport) throws Exception {
        CountDownLatch startReading = new CountDownLatch(1);
        CompletableFuture<Long> received = new CompletableFuture<>();
        AtomicLong written = new AtomicLong();
        InetSocketAddress front = start(transport, TestServer.start("S", s -> {
            s.getOutputStream().write("ready\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput(); // the server has said all it will say; it still reads
            try {
                if (!startReading.await(60, TimeUnit.SECONDS)) {
                    received.completeExceptionally(new AssertionError("the test never let the server read"));
                    return;
                }
                InputStream in = s.getInputStream();
                long got = 0;
                // Slowly at first (stalling the upload twice more), then all of it.
                for (int pause = 0; pause < 2; pause++) {
                    got += Pattern.readAndCheck(in, got, 4 * MIB);
                    awaitStalled(written);
                }
                got += Pattern.readAndCheck(in, got, Long.MAX_VALUE);
                received.complete(got);
            } catch (InterruptedException | IOException | RuntimeException | AssertionError e) {
                received.completeExceptionally(e);
            }
        }));
        try (Socket client = new Socket()) {
            client.setSendBufferSize(64 * 1024);
            client.connect(front, 5_000);
            client.setSoTimeout(30_000);
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .isEqualTo("ready\n"); // and the server's FIN came through

            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (long at = 0; at < TOTAL; at += chunk.length) {
                        Pattern.fill(chunk, at);
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                    client.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            awaitStalled(written);
            startReading.countDown();
            upload.get(120, TimeUnit.SECONDS);
            assertThat(received.get(120, TimeUnit.SECONDS)).isEqualTo(TOTAL);
        }
    }

    /**
     * Item 28: a client that half-closes and then resets ends its connection; the server connection goes with it and
     * the server's counts (active and inactive) return to zero at once, not when some timeout fires. With NIO the
     * JDK's selector takes a socket that asks for nothing out of its epoll set, so the reset is only seen at the next
     * write or the idle timeout: epoll only.
     */
    @Test
    void aClientThatHalfClosesAndThenResetsLeavesNoCountsBehind() throws Exception {
        CountDownLatch sawFin = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        InetSocketAddress front = start("epoll", TestServer.start("S", s -> {
            s.getInputStream().readAllBytes();
            sawFin.countDown();
            try {
                done.await(30, TimeUnit.SECONDS); // holds its side open, as a server that has not answered yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        resources.add(0, done::countDown);
        Balancer balancer = (Balancer) resources.get(1);
        dev.ferry.backend.Server server = balancer.backends().get("pool").servers().get(0);
        try (Socket client = new Socket()) {
            client.connect(front, 5_000);
            client.getOutputStream().write("request".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertThat(sawFin.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(server.active() + server.inactive()).isEqualTo(1);
            client.setSoLinger(true, 0);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(server.active()).isZero();
            assertThat(server.inactive()).isZero();
            assertThat(balancer.frontends().get(0).stats().active()).isZero();
        });
    }

    /** Waits until {@code counter} has stopped growing: the writer is blocked on full buffers. */
    private static void awaitStalled(AtomicLong counter) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long now = counter.get();
            boolean stalled = now == last[0];
            last[0] = now;
            return stalled;
        });
    }

    /** A byte pattern that depends on the offset, so a lost, repeated or reordered piece shows. */
    private static final class Pattern {
        static byte at(long offset) {
            return (byte) (offset * 31 + (offset >>> 16));
        }

        static void fill(byte[] chunk, long offset) {
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = at(offset + i);
            }
        }

        /** Reads up to {@code limit} bytes (or to the end of the stream), checking each; returns how many. */
        static long readAndCheck(InputStream in, long offset, long limit) throws IOException {
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            while (got < limit) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, limit - got));
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (buf[i] != at(offset + got + i)) {
                        throw new AssertionError("wrong byte at offset " + (offset + got + i));
                    }
                }
                got += n;
            }
            return got;
        }
    }
}
