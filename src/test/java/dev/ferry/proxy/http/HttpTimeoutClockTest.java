package dev.ferry.proxy.http;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.accesslog.AccessRecord;
import dev.ferry.backend.Backend;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.ManualLoopClock;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The proxy path's timeouts on a hand-driven clock (issue 17 item 3): real sockets, a real client and server, but
 * the connection's time and timer are {@link ManualLoopClock}'s, so each timeout is set far beyond the test's own
 * time limit and reached by moving the clock, not by waiting. Each test stops the clock just short of the deadline
 * (nothing happens: the connection is open, its timer still waiting) and then on it.
 */
@Timeout(20)
class HttpTimeoutClockTest {
    private final Transport transport = new Transport(1);
    private final ManualLoopClock clock = new ManualLoopClock();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<AccessRecord> records = new CopyOnWriteArrayList<>();
    private HttpFrontend frontend;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
        if (frontend != null) {
            frontend.stopAccepting();
            frontend.closeAll();
        }
        transport.close();
    }

    private InetSocketAddress start(String frontendTimeouts, String backendTimeouts, TestServer server)
            throws Exception {
        resources.add(server);
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool, timeouts: { %s } }
                backends:
                  - { name: pool, timeouts: { %s }, servers: [ { address: %s } ] }
                """.formatted(frontendTimeouts, backendTimeouts, server.address()), Path.of("clock.yaml"));
        Backend pool = new Backend(config.backends().getFirst());
        AccessLog log = records::add;
        frontend = new HttpFrontend(config.frontends().getFirst(), Map.of("pool", pool), transport, log,
                Optional.empty(), clock::on);
        return frontend.start();
    }

    private Raw connect(InetSocketAddress front) throws Exception {
        Raw c = new Raw(front);
        resources.add(c);
        // Accepted, so the connection's clocks started at the manual clock's present.
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend.stats().active() == 1);
        return c;
    }

    @Test
    void aSlowRequestHeadIs408WhenTheClockReachesRequestHeader() throws Exception {
        TestServer a = Origin.naming("a");
        InetSocketAddress front = start("request_header: 30s, client_idle: 10m", "response: 10m", a);
        Raw c = connect(front);
        c.send("GET / HTTP/1.1\r\nHost: x\r\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend.stats().bytesFromClients() > 0);

        clock.advance(Duration.ofSeconds(30).minusMillis(1));
        assertThat(frontend.stats().active()).as("still open just before request_header").isEqualTo(1);
        assertThat(clock.pending()).as("its timer still waiting").isEqualTo(1);
        assertThat(c.in.available()).isZero();

        clock.advance(Duration.ofMillis(1));
        Raw.Response r = c.read();
        assertThat(r.status()).isEqualTo(408);
        assertThat(c.closedByPeer()).isTrue();
        assertThat(a.accepted()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> !records.isEmpty());
        assertThat(records).extracting(AccessRecord::termination).containsExactly("header_timeout");
    }

    @Test
    void aServerThatDoesNotAnswerIs504WhenTheClockReachesResponse() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Origin seen = new Origin();
        TestServer slow = Origin.start("slow", (r, out, s) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }, seen);
        resources.add(release::countDown);
        InetSocketAddress front = start("request_header: 10m, client_idle: 10m", "response: 30s, server_idle: 10m",
                slow);
        Raw c = connect(front);
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        // The server has the request, so Ferry sent it: the response clock runs from the clock's present.
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.requests.size() == 1);

        clock.advance(Duration.ofSeconds(30).minusMillis(1));
        assertThat(frontend.stats().active()).isEqualTo(1);
        assertThat(c.in.available()).isZero();

        clock.advance(Duration.ofMillis(1));
        Raw.Response r = c.read();
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.body()).contains("did not respond in time");
        await().atMost(Duration.ofSeconds(5)).until(() -> !records.isEmpty());
        assertThat(records).extracting(AccessRecord::termination).containsExactly("response_timeout");
        assertThat(records.getFirst().durationMillis()).as("the clock's time, not the wall's").isEqualTo(30_000);
    }

    @Test
    void anIdleKeepAliveClientIsClosedWhenTheClockReachesClientIdle() throws Exception {
        TestServer a = Origin.naming("a");
        InetSocketAddress front = start("request_header: 10s, client_idle: 60s", "server_idle: 10m", a);
        Raw c = connect(front);
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(c.read().status()).isEqualTo(200);

        clock.advance(Duration.ofSeconds(60).minusMillis(1));
        assertThat(frontend.stats().active()).as("kept alive just before client_idle").isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(c.closedByPeer()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend.stats().active() == 0);
        assertThat(records).extracting(AccessRecord::termination).containsExactly("ok");
    }

    @Test
    void aPooledServerConnectionClosesWhenTheClockReachesServerIdle() throws Exception {
        TestServer a = Origin.naming("a");
        InetSocketAddress front = start("request_header: 10m, client_idle: 10m", "server_idle: 30s", a);
        Raw c = connect(front);
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(c.read().status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend.idleUpstreamConnections() == 1);

        clock.advance(Duration.ofSeconds(30).minusMillis(1));
        assertThat(frontend.idleUpstreamConnections()).isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(frontend.idleUpstreamConnections()).isZero();
        assertThat(frontend.stats().active()).as("the client connection is not touched").isEqualTo(1);
    }
}
