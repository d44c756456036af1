package dev.ferry.proxy.tcp;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.FerryConfig;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.Configs;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Layer-4 proxying through real sockets on loopback: Ferry in the middle, plain sockets on both ends. */
@Timeout(60)
class TcpProxyTest {
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

    private TestServer server(TestServer s) {
        resources.add(s);
        return s;
    }

    private InetSocketAddress start(FerryConfig config) throws Exception {
        balancer = new Balancer(config, 2);
        balancer.start();
        return balancer.address("front");
    }

    private FrontendStats stats() {
        return balancer.frontends().get(0).stats();
    }

    private Backend backend() {
        return balancer.backends().get("pool");
    }

    @Test
    void wrrSequenceForWeights432IsObservedThroughRealConnections() throws Exception {
        TestServer a = server(TestServer.naming("A"));
        TestServer b = server(TestServer.naming("B"));
        TestServer c = server(TestServer.naming("C"));
        InetSocketAddress front = start(Configs.tcp("wrr").server(a, 4).server(b, 3).server(c, 2).build());

        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < 18; i++) {
            seen.append(Clients.readAll(front));
        }
        assertThat(seen.toString()).isEqualTo("AABABCABC" + "AABABCABC");
    }

    @Test
    void clientHalfCloseReachesTheServerWhichMayStillAnswer() throws Exception {
        // The server reads until the client's FIN, then answers: only possible if the FIN was passed on as a FIN.
        TestServer s = server(TestServer.start("S", sock -> {
            byte[] request = sock.getInputStream().readAllBytes();
            sock.getOutputStream().write(("got " + new String(request, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        }));
        InetSocketAddress front = start(Configs.tcp("rr").server(s, 1).build());

        try (Socket client = Clients.connect(front)) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).isEqualTo("got hello");
        }
    }

    @Test
    void serverHalfCloseReachesTheClientWhichMayStillSend() throws Exception {
        // The server says hello and shuts its output down, then waits for the client's data until the client's FIN.
        AtomicReference<String> received = new AtomicReference<>();
        TestServer s = server(TestServer.start("S", sock -> {
            sock.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            sock.shutdownOutput();
            received.set(new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }));
        InetSocketAddress front = start(Configs.tcp("rr").server(s, 1).build());

        try (Socket client = Clients.connect(front)) {
            InputStream in = client.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello"); // EOF = server's FIN
            client.getOutputStream().write("still talking".getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(received.get()).isEqualTo("still talking"));
    }

    @Test
    void aHalfClosedConnectionCountsAsInactiveOnTheServer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestServer s = server(TestServer.start("S", sock -> {
            sock.getInputStream().readAllBytes();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        InetSocketAddress front = start(Configs.tcp("rr").server(s, 1).build());
        Server server = backend().servers().get(0);

        try (Socket client = Clients.connect(front)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> server.active() == 1);
            assertThat(server.inactive()).isZero();
            client.shutdownOutput();
            await().atMost(Duration.ofSeconds(5)).until(() -> server.active() == 0 && server.inactive() == 1);
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.active() == 0 && server.inactive() == 0);
    }

    @Test
    void aServerResetReachesTheClientAsAReset() throws Exception {
        TestServer s = server(TestServer.start("S", sock -> {
            sock.getInputStream().read(); // wait for the client's first byte, then reset
            sock.setSoLinger(true, 0);
            sock.close();
        }));
        InetSocketAddress front = start(Configs.tcp("rr").server(s, 1).build());

        try (Socket client = Clients.connect(front)) {
            client.getOutputStream().write('x');
            assertThatThrownBy(() -> client.getInputStream().read())
                    .isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
    }

    @Test
    void aClientResetReachesTheServerAsAReset() throws Exception {
        CompletableFuture<Throwable> serverSaw = new CompletableFuture<>();
        CountDownLatch connected = new CountDownLatch(1);
        TestServer s = server(TestServer.start("S", sock -> {
            connected.countDown();
            try {
                int b = sock.getInputStream().read();
                serverSaw.complete(new AssertionError("clean end of stream, read returned " + b));
            } catch (IOException e) {
                serverSaw.complete(e);
            }
        }));
        InetSocketAddress front = start(Configs.tcp("rr").server(s, 1).build());

        Socket client = Clients.connect(front);
        assertThat(connected.await(5, TimeUnit.SECONDS)).isTrue();
        client.setSoLinger(true, 0);
        client.close();

        assertThat(serverSaw.get(5, TimeUnit.SECONDS))
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
    }

    /**
     * The server's kernel completes the handshake before Ferry's event loop hears of it: a client that resets in that
     * window (right after the server's accept) must still reach the server as a reset, never as a clean close.
     */
    @Test
    void aClientResetRightAfterTheServerAcceptsReachesItAsAReset() throws Exception {
        java.util.concurrent.BlockingQueue<Throwable> serverSaw = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.Semaphore accepted = new java.util.concurrent.Semaphore(0);
        TestServer s = server(TestServer.start("S", sock -> {
            accepted.release();
            try {
                int b = sock.getInputStream().read();
                serverSaw.add(new AssertionError("clean end of stream, read returned " + b));
            } catch (IOException e) {
                serverSaw.add(e);
            }
        }));
        InetSocketAddress front = start(Configs.tcp("rr").server(s, 1).build());

        int rounds = 200;
        for (int i = 0; i < rounds; i++) {
            Socket client = Clients.connect(front);
            assertThat(accepted.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
            client.setSoLinger(true, 0);
            client.close();
        }
        List<Throwable> seen = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            seen.add(serverSaw.poll(5, TimeUnit.SECONDS));
        }
        assertThat(seen).allSatisfy(t -> assertThat(t).isInstanceOf(SocketException.class)
                .hasMessageContaining("reset"));
    }

    @Test
    void echoRoundTripsDataIntact() throws Exception {
        TestServer s = server(TestServer.echo("E"));
        InetSocketAddress front = start(Configs.tcp("rr").server(s, 1).build());
        byte[] payload = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(payload);

        try (Socket client = Clients.connect(front)) {
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.getInputStream().readAllBytes();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            client.getOutputStream().write(payload);
            client.shutdownOutput();
            assertThat(echoed.get(20, TimeUnit.SECONDS)).isEqualTo(payload);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().active() == 0);
        assertThat(stats().bytesFromClients()).isEqualTo(payload.length);
        assertThat(stats().bytesToClients()).isEqualTo(payload.length);
        Server server = backend().servers().get(0);
        assertThat(server.bytesOut()).isEqualTo(payload.length);
        assertThat(server.bytesIn()).isEqualTo(payload.length);
        assertThat(server.totalConnections()).isEqualTo(1);
    }

    @Test
    void aRefusedServerIsSkippedAndEveryClientConnectionSucceeds() throws Exception {
        TestServer a = server(TestServer.naming("A"));
        TestServer c = server(TestServer.naming("C"));
        int closed = TestServer.closedPort();
        InetSocketAddress front = start(Configs.tcp("rr")
                .server(a, 1).server("B", "127.0.0.1:" + closed, 1).server(c, 1).build());

        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            seen.add(Clients.readAll(front));
        }
        assertThat(seen).hasSize(30).containsOnly("A", "C");
        // rr's cursor moves on with every pick, retries included: A | B(refused) C | A | B(refused) C | ...
        assertThat(seen.subList(0, 4)).containsExactly("A", "C", "A", "C");
        Server b = backend().server("B").orElseThrow();
        assertThat(b.failures()).isEqualTo(15);
        assertThat(stats().retries()).isEqualTo(15);
        assertThat(stats().noServer()).isZero();
    }

    @Test
    void whenNoServerCanTakeTheConnectionTheClientIsResetAtOnce() throws Exception {
        InetSocketAddress front = start(Configs.tcp("rr").retries(5)
                .server("B1", "127.0.0.1:" + TestServer.closedPort(), 1)
                .server("B2", "127.0.0.1:" + TestServer.closedPort(), 1).build());

        Clients.expectReset(front);
        // Each server is tried once (never twice), then the pick finds nothing left.
        assertThat(backend().servers()).allSatisfy(s -> assertThat(s.failures()).isEqualTo(1));
        assertThat(stats().noServer()).isEqualTo(1);
    }

    @Test
    void retriesAreBoundedByTheBackendsRetries() throws Exception {
        InetSocketAddress front = start(Configs.tcp("rr").retries(1)
                .server("B1", "127.0.0.1:" + TestServer.closedPort(), 1)
                .server("B2", "127.0.0.1:" + TestServer.closedPort(), 1)
                .server("B3", "127.0.0.1:" + TestServer.closedPort(), 1).build());

        Clients.expectReset(front);
        long tried = backend().servers().stream().mapToLong(Server::failures).sum();
        assertThat(tried).isEqualTo(2);
    }

    @Test
    void aFullServerIsSkipped() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestServer.Behaviour holdThenName = sock -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        TestServer a = server(TestServer.start("A", holdThenName));
        TestServer b = server(TestServer.naming("B"));
        InetSocketAddress front = start(Configs.tcp("rr")
                .server("A", a.address(), 1, 1).server("B", b.address(), 1).build());

        try (Socket held = Clients.connect(front)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> a.accepted() == 1);
            // A holds its one allowed connection, so everything else goes to B.
            for (int i = 0; i < 4; i++) {
                assertThat(Clients.readAll(front)).isEqualTo("B");
            }
            release.countDown();
        }
    }

    @Test
    void theFrontendStopsAcceptingAtMaxConnectionsAndResumesBelowIt() throws Exception {
        TestServer e = server(TestServer.echo("E"));
        InetSocketAddress front = start(Configs.tcp("rr").frontendMaxConnections(2).server(e, 1).build());

        Socket first = Clients.connect(front);
        Socket second = Clients.connect(front);
        assertThat(roundTrip(first, "1")).isEqualTo("1");
        assertThat(roundTrip(second, "2")).isEqualTo("2");

        // The third connection waits in the listen backlog: its data is not served while two are open.
        Socket third = Clients.connect(front);
        third.getOutputStream().write('3');
        third.setSoTimeout(300);
        assertThatThrownBy(() -> third.getInputStream().read()).isInstanceOf(java.net.SocketTimeoutException.class);

        first.close();
        third.setSoTimeout(5_000);
        assertThat(third.getInputStream().read()).isEqualTo('3');
        second.close();
        third.close();
        assertThat(e.accepted()).isEqualTo(3);
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        byte[] buf = new byte[text.length()];
        int n = s.getInputStream().readNBytes(buf, 0, buf.length);
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        TestServer e = server(TestServer.echo("E"));
        InetSocketAddress front = start(Configs.tcp("rr").clientIdle(Duration.ofMillis(300)).server(e, 1).build());

        try (Socket client = Clients.connect(front)) {
            assertThat(roundTrip(client, "ping")).isEqualTo("ping");
            long t0 = System.nanoTime();
            assertThat(client.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> backend().servers().get(0).active() == 0);
    }

    @Test
    void aPortInUseIsReportedInOneClearLine() throws Exception {
        TestServer busy = server(TestServer.echo("busy"));
        FerryConfig config = Configs.tcp("rr").server(busy, 1).build();
        var fc = config.frontends().get(0);
        var onBusyPort = new dev.ferry.config.FrontendConfig(fc.name(), new dev.ferry.config.HostPort("127.0.0.1", busy.port()),
                fc.tls(), fc.proxyProtocol(), fc.routes(), fc.backend(), fc.maxConnections(), fc.timeouts(), fc.options());
        FerryConfig clash = new FerryConfig(config.source(), config.admin(), List.of(onBusyPort), config.backends(),
                config.shutdownGrace());

        Balancer b = new Balancer(clash, 1);
        assertThatThrownBy(b::start)
                .isInstanceOf(BindException.class)
                .hasMessage("cannot listen on 127.0.0.1:" + busy.port() + " for frontend 'front': address already in use");
    }
}
