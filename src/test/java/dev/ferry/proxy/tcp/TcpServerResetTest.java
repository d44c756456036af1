package dev.ferry.proxy.tcp;

import dev.ferry.backend.Server;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import dev.ferry.testing.Requirements;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 16c: a server that writes a lot and then resets. The client must get every byte Ferry read from the
 * server before the reset (as a direct connection would), and only then the reset; dropping what sat in Ferry's
 * queue and in the kernel's send queue towards the client lost about 0.6 MB. Real sockets on loopback; the client
 * reads slowly, so that the whole path is full when the reset comes.
 */
@Timeout(120)
class TcpServerResetTest {
    private static final int TOTAL = 20 * 1024 * 1024;
    private static final int CHUNK = 16 * 1024;

    private Balancer balancer;
    private ServerSocket listener;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        if (listener != null) {
            listener.close();
        }
    }

    private static byte patternAt(long offset) {
        return (byte) (offset % 251);
    }

    /** Accepts one connection, writes {@link #TOTAL} bytes of the pattern, then resets it (SO_LINGER 0). */
    private static void writeThenReset(ServerSocket listener) {
        try (Socket s = listener.accept()) {
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[CHUNK];
            for (long written = 0; written < TOTAL; written += CHUNK) {
                for (int i = 0; i < CHUNK; i++) {
                    chunk[i] = patternAt(written + i);
                }
                out.write(chunk);
            }
            s.setSoLinger(true, 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void aServerResetReachesTheClientOnlyAfterEveryByteFerryReadFromTheServer(String transport) throws Exception {
        boolean epoll = transport.equals("epoll");
        if (epoll) {
            Requirements.require(Epoll.isAvailable(), "Netty's native epoll transport (Linux)");
        }
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        CompletableFuture<Void> server = CompletableFuture.runAsync(() -> writeThenReset(listener));
        balancer = new Balancer(Configs.tcp("rr").server("writer", "127.0.0.1:" + listener.getLocalPort(), 1)
                .build(), 1, epoll);
        balancer.start();
        assertThat(balancer.transport().name()).isEqualTo(transport);
        InetSocketAddress front = balancer.address("front");
        Server writer = balancer.backends().get("pool").server("writer").orElseThrow();
        FrontendStats stats = balancer.frontends().get(0).stats();

        long received = 0;
        IOException ending = null;
        try (Socket client = new Socket()) {
            client.connect(front, 5_000);
            client.setSoTimeout(30_000);
            InputStream in = client.getInputStream();
            byte[] buffer = new byte[CHUNK];
            for (int reads = 0; reads < 10 * TOTAL; reads++) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketException e) {
                    ending = e;
                    break;
                }
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != patternAt(received + i)) {
                        throw new AssertionError("byte " + (received + i) + " is not the server's");
                    }
                }
                received += n;
                if (!server.isDone()) {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200)); // a slow reader: the path fills up
                }
            }
        }
        server.get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> stats.active() == 0);

        long ferryRead = writer.bytesIn();
        System.out.printf("%s: server wrote %d bytes, Ferry read %d, the client received %d, then %s%n", transport, TOTAL,
                ferryRead, received, ending == null ? "end of stream" : ending.getMessage());
        assertThat(ferryRead).as("Ferry read from the server").isPositive();
        assertThat(received).as("bytes the client received of the %d Ferry read", ferryRead).isEqualTo(ferryRead);
        assertThat(ending).as("the client learns that the server reset, not a clean end").isNotNull();
        assertThat(ending.getMessage()).containsIgnoringCase("reset");
    }
}
