package dev.ferry.proxy.tcp;

import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The idle timeout frees clients that never read (issue 15, item 14): both sides close, the client with a reset when
 * what Ferry holds for it cannot drain, so its place under {@code max_connections} goes to the next client.
 */
@Timeout(60)
class TcpIdleTimeoutTest {
    private static final int LIMIT = 3;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void clientsThatNeverReadAreResetAtTheIdleTimeoutAndTheNextClientGetsIn(String transport) throws Exception {
        boolean epoll = transport.equals("epoll");
        if (epoll) {
            Requirements.require(Epoll.isAvailable(), "Netty's native epoll transport (Linux)");
        }
        byte[] chunk = new byte[64 * 1024];
        TestServer pusher = TestServer.start("P", s -> {
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 2_000; i++) { // at most 128 MiB, far beyond every buffer on the way
                out.write(chunk);
            }
        });
        resources.add(pusher);
        Balancer balancer = new Balancer(Configs.tcp("rr").server(pusher, 1).frontendMaxConnections(LIMIT)
                .clientIdle(Duration.ofSeconds(1)).build(), 1, epoll);
        balancer.start();
        resources.add(0, balancer);
        InetSocketAddress front = balancer.address("front");

        List<Socket> nonReaders = new ArrayList<>();
        for (int i = 0; i < LIMIT; i++) {
            Socket s = new Socket();
            resources.add(s);
            s.setReceiveBufferSize(16 * 1024);
            s.connect(front, 5_000);
            nonReaders.add(s);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> balancer.frontends().get(0).stats().active() == LIMIT);

        // The next client waits in the backlog until the idle timeout frees the others, then is served.
        long started = System.nanoTime();
        try (Socket next = new Socket()) {
            next.connect(front, 5_000);
            next.setSoTimeout(15_000);
            assertThat(next.getInputStream().readNBytes(1024)).hasSize(1024);
        }
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("%s: the next client was served after %d ms (client_idle 1s)%n", transport, waitedMs);

        // The clients that never read were closed by Ferry (normally with a reset, as their data could not drain;
        // a close that raced the last drain ends in a FIN): either way their descriptors are gone from Ferry.
        for (Socket s : nonReaders) {
            s.setSoTimeout(10_000);
            byte[] buf = new byte[256 * 1024];
            Throwable ended = org.assertj.core.api.Assertions.catchThrowable(() -> {
                while (s.getInputStream().read(buf) >= 0) {
                    // what reached the kernel before the close
                }
            });
            // null: the read ended in an EOF (the FIN), which is as good as a reset here.
            assertThat(ended instanceof java.net.SocketTimeoutException)
                    .as("Ferry closed the client: EOF or reset, not a read timeout (%s)", ended).isFalse();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> balancer.frontends().get(0).stats().active() <= 0);
    }
}
