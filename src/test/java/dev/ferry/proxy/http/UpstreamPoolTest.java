package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Pooled server connections: idle timeout, the idle cap, servers closing idle connections, load accounting. */
@Timeout(60)
class UpstreamPoolTest {
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

    private TestServer server(TestServer s) {
        resources.add(s);
        return s;
    }

    private void start(TestServer origin, String backendExtra) throws Exception {
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - { name: pool, %s servers: [ { name: o, address: %s } ] }
                """.formatted(backendExtra, origin.address()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private Raw raw() throws IOException {
        Raw r = new Raw(front);
        resources.add(r);
        return r;
    }

    private HttpFrontend frontend() {
        return (HttpFrontend) balancer.frontends().get(0);
    }

    private Server origin() {
        return balancer.backends().get("pool").servers().get(0);
    }

    @Test
    void idlePooledConnectionsCloseAfterServerIdle() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        TestServer origin = server(TestServer.start("o", s -> {
            try {
                for (Origin.Request r; (r = Origin.read(s.getInputStream(), s, s.getOutputStream())) != null; ) {
                    Origin.text(s.getOutputStream(), 200, "o");
                }
            } finally {
                closed.incrementAndGet();
            }
        }));
        start(origin, "timeouts: { server_idle: 300ms },");
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("o");
            assertThat(frontend().idleUpstreamConnections()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> closed.get() == 1);
            assertThat(frontend().idleUpstreamConnections()).isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> origin().inactive() == 0 && origin().active() == 0);
            // and the next request simply opens a new one
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("o");
        }
        assertThat(origin.accepted()).isEqualTo(2);
    }

    @Test
    void aServerClosingAnIdleConnectionIsNoticedAndTheNextRequestStillSucceeds() throws Exception {
        // Like a server with a short keep-alive timeout: it answers, then closes the connection shortly after.
        TestServer origin = server(Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "o");
            return false;
        }));
        start(origin, "");
        try (Raw c = raw()) {
            for (int i = 0; i < 5; i++) {
                c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz");
                Raw.Response r = c.read();
                assertThat(r.status()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(5)).until(() -> frontend().idleUpstreamConnections() == 0);
            }
        }
        assertThat(origin.accepted()).isEqualTo(5);
    }

    @Test
    void requestsInFlightAreActiveAndPooledConnectionsInactive() throws Exception {
        CountDownLatch arrived = new CountDownLatch(3);
        CountDownLatch answer = new CountDownLatch(1);
        TestServer origin = server(Origin.start("o", (r, out, s) -> {
            arrived.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                return false;
            }
            Origin.text(out, 200, "o");
            return true;
        }));
        start(origin, "");
        List<Raw> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Raw c = raw();
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            clients.add(c);
        }
        arrived.await();
        assertThat(origin().active()).isEqualTo(3);
        assertThat(origin().inactive()).isZero();
        answer.countDown();
        for (Raw c : clients) {
            assertThat(c.read().body()).isEqualTo("o");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> origin().active() == 0 && origin().inactive() == 3);
        assertThat(frontend().idleUpstreamConnections()).isEqualTo(3);
    }

    @Test
    void atMostTheIdleCapStaysPooledPerServerAndLoop() throws Exception {
        int burst = HttpFrontend.MAX_IDLE_PER_SERVER + 6;
        CountDownLatch arrived = new CountDownLatch(burst);
        CountDownLatch answer = new CountDownLatch(1);
        TestServer origin = server(Origin.start("o", (r, out, s) -> {
            arrived.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                return false;
            }
            Origin.text(out, 200, "o");
            return true;
        }));
        start(origin, "");
        List<Raw> clients = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            Raw c = raw();
            c.socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            clients.add(c);
        }
        arrived.await();
        answer.countDown();
        for (Raw c : clients) {
            assertThat(c.read().body()).isEqualTo("o");
        }
        await().atMost(Duration.ofSeconds(5)).until(
                () -> origin().inactive() == HttpFrontend.MAX_IDLE_PER_SERVER && origin().active() == 0);
        assertThat(frontend().idleUpstreamConnections()).isEqualTo(HttpFrontend.MAX_IDLE_PER_SERVER);
    }
}
