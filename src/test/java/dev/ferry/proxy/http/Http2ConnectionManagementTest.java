package dev.ferry.proxy.http;

import dev.ferry.admin.MetricsExporter;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18 items 1, 5 and 6 on HTTP/2 client connections, with raw frames ({@link RawH2}): the access log has one
 * record per stream, the idle timeout ends an idle connection with GOAWAY, a graceful stop and a reload that retires
 * the frontend send GOAWAY with the last stream id and let a slow stream finish with its whole response,
 * {@code max_connection_age} sends the two-step GOAWAY (2^31-1 and a PING, then the last stream id) and closes after
 * {@code max_connection_age_grace}, and the defences are counted in {@code /metrics}.
 */
@Timeout(60)
class Http2ConnectionManagementTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger slowArrived = new AtomicInteger();
    private Balancer balancer;
    private TestServer origin;
    private String authority;

    @AfterEach
    void tearDown() throws Exception {
        release.countDown();
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** Starts an origin ({@code /slow} waits for {@link #release}) and Ferry with {@code frontendExtra}. */
    private InetSocketAddress start(String top, String frontendExtra) throws Exception {
        origin = Origin.start("o", (r, out, s) -> {
            if (r.target().startsWith("/slow")) {
                slowArrived.incrementAndGet();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Origin.text(out, 200, "slow and whole ".repeat(1000));
                return true;
            }
            Origin.text(out, 200, "o");
            return true;
        });
        resources.add(origin);
        balancer = new Balancer(ConfigLoader.parse(config(top, frontendExtra, "front"), dir.resolve("ferry.yaml")),
                1);
        balancer.start();
        InetSocketAddress front = balancer.address("front");
        authority = "127.0.0.1:" + front.getPort();
        return front;
    }

    private String config(String top, String frontendExtra, String frontendName) {
        return """
                %s
                frontends:
                  - name: %s
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                %s
                backends:
                  - name: pool
                    retries: 0
                    servers: [ { name: o, address: %s } ]
                """.formatted(top, frontendName, frontendExtra.indent(4), origin.address());
    }

    private HttpFrontend frontend() {
        return (HttpFrontend) balancer.frontends().getFirst();
    }

    private RawH2 open(InetSocketAddress front) throws Exception {
        RawH2 c = RawH2.open(front);
        resources.add(c);
        return c;
    }

    @Test
    void theAccessLogRecordsEachStreamsRequest() throws Exception {
        Path log = dir.resolve("access.json");
        InetSocketAddress front = start("access_log: { path: %s, format: json }".formatted(log), "");
        RawH2 c = open(front);
        c.headers(1, true, ":method", "GET", ":scheme", "http", ":authority", authority, ":path", "/a",
                "x-request-id", "h2-1");
        c.headers(3, true, ":method", "HEAD", ":scheme", "http", ":authority", authority, ":path", "/b",
                "x-request-id", "h2-2");
        c.headers(5, true, ":method", "GET", ":scheme", "http", ":authority", authority, ":path", "/c",
                "X-Bad", "1");
        assertThat(c.response(1).status()).isEqualTo(200);
        assertThat(c.response(3).status()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readAllLines(log).size() >= 2);
        List<String> lines = Files.readAllLines(log);
        // One record per answered stream; the malformed stream 5 is reset by the codec and never becomes a request.
        assertThat(lines).hasSize(2);
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"frontend\":\"front\"", "\"server\":\"o\"",
                "\"status\":200", "\"request\":\"GET /a\"", "\"termination\":\"ok\"", "\"request_id\":\"h2-1\"",
                "\"bytes_out\":1"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("\"request\":\"HEAD /b\"",
                "\"request_id\":\"h2-2\""));
    }

    @Test
    void theIdleTimeoutEndsAnIdleConnectionWithGoaway() throws Exception {
        InetSocketAddress front = start("", "timeouts: { client_idle: 300ms }");
        RawH2 c = open(front);
        c.get(1, authority, "/");
        assertThat(c.response(1).status()).isEqualTo(200);
        long sent = System.nanoTime();

        List<RawH2.Frame> frames = c.readUntil(f -> f.type() == RawH2.GOAWAY, 100);
        RawH2.Frame goAway = frames.getLast();
        assertThat(goAway.type()).isEqualTo(RawH2.GOAWAY);
        assertThat(goAway.errorCode()).as("NO_ERROR").isZero();
        assertThat(goAway.lastStreamId()).isEqualTo(1);
        assertThat(System.nanoTime() - sent).as("not before client_idle").isGreaterThanOrEqualTo(
                TimeUnit.MILLISECONDS.toNanos(250));
        assertThat(c.closedWithin(100)).isTrue();
        assertThat(frontend().http2Stats().goAways(io.netty.handler.codec.http2.Http2Error.NO_ERROR)).isEqualTo(1);
    }

    /** A slow stream under way when Ferry is told to drain; returns the connection once the origin has it. */
    private RawH2 slowStreamUnderWay(InetSocketAddress front) throws Exception {
        RawH2 c = open(front);
        c.get(1, authority, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> slowArrived.get() == 1);
        return c;
    }

    /** GOAWAY NO_ERROR naming stream 1, a later stream not taken, stream 1's whole response, then the close. */
    private void assertDrainedGracefully(RawH2 c) throws Exception {
        List<RawH2.Frame> frames = c.readUntil(f -> f.type() == RawH2.GOAWAY, 100);
        RawH2.Frame goAway = frames.getLast();
        assertThat(goAway.type()).isEqualTo(RawH2.GOAWAY);
        assertThat(goAway.errorCode()).isZero();
        assertThat(goAway.lastStreamId()).as("the last stream Ferry took").isEqualTo(1);
        // A stream the client opens after the GOAWAY is not served (RFC 9113 6.8): the origin never sees it.
        c.get(3, authority, "/slow?late");
        release.countDown();
        RawH2.Response r = c.response(1);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("slow and whole ".repeat(1000));
        assertThat(c.closedWithin(100)).as("closed once its streams finished").isTrue();
        assertThat(slowArrived.get()).isEqualTo(1);
    }

    @Test
    void aGracefulStopSendsGoawayAndLetsTheSlowStreamFinish() throws Exception {
        InetSocketAddress front = start("", "");
        RawH2 c = slowStreamUnderWay(front);
        CompletableFuture<Integer> stopped = CompletableFuture.supplyAsync(() -> balancer.stop(Duration.ofSeconds(20)));
        assertDrainedGracefully(c);
        assertThat(stopped.get(20, TimeUnit.SECONDS)).as("connections left when the grace ended").isZero();
    }

    @Test
    void aReloadThatRetiresTheFrontendSendsGoawayAndLetsTheSlowStreamFinish() throws Exception {
        InetSocketAddress front = start("", "");
        RawH2 c = slowStreamUnderWay(front);
        // The frontend is renamed: the old one retires and drains, a new one listens.
        balancer.reload(ConfigLoader.parse(config("", "", "renamed"), dir.resolve("ferry.yaml")));
        assertDrainedGracefully(c);
        // The new frontend answers.
        RawH2 fresh = open(balancer.address("renamed"));
        fresh.get(1, authority, "/");
        assertThat(fresh.response(1).status()).isEqualTo(200);
    }

    @Test
    void maxConnectionAgeSendsTheTwoStepGoawayAndLetsStreamsFinishWithinTheGrace() throws Exception {
        InetSocketAddress front = start("", "max_connection_age: 300ms\nmax_connection_age_grace: 20s");
        RawH2 c = slowStreamUnderWay(front);

        // Step 1: GOAWAY with 2^31-1 (streams already on the way are still taken) and a PING.
        List<RawH2.Frame> frames = c.readUntil(f -> f.type() == RawH2.PING, 100);
        RawH2.Frame first = frames.stream().filter(f -> f.type() == RawH2.GOAWAY).findFirst().orElseThrow();
        assertThat(first.lastStreamId()).isEqualTo(Integer.MAX_VALUE);
        assertThat(first.errorCode()).isZero();
        // A stream sent before the client saw the first GOAWAY is still served.
        c.get(3, authority, "/");
        assertThat(c.response(3).status()).isEqualTo(200);
        RawH2.Frame ping = frames.getLast();
        c.frame(RawH2.PING, RawH2.ACK, 0, ping.payload());

        // Step 2, on the PING's ACK: GOAWAY with the last stream taken; the slow stream finishes whole.
        RawH2.Frame second = c.readUntil(f -> f.type() == RawH2.GOAWAY, 100).getLast();
        assertThat(second.type()).isEqualTo(RawH2.GOAWAY);
        assertThat(second.lastStreamId()).isEqualTo(3);
        assertThat(second.errorCode()).isZero();
        release.countDown();
        RawH2.Response r = c.response(1);
        assertThat(r.body()).isEqualTo("slow and whole ".repeat(1000));
        assertThat(c.closedWithin(100)).isTrue();
    }

    @Test
    void afterTheGraceAnAgedConnectionClosesWhateverIsStillUnderWay() throws Exception {
        InetSocketAddress front = start("", "max_connection_age: 200ms\nmax_connection_age_grace: 300ms");
        RawH2 c = slowStreamUnderWay(front);
        long t0 = System.nanoTime();
        // No PING answered: the second GOAWAY comes a second after the first anyway, then the grace runs out.
        List<RawH2.Frame> goAways = new ArrayList<>();
        for (RawH2.Frame f; (f = c.read()) != null; ) {
            if (f.type() == RawH2.GOAWAY) {
                goAways.add(f);
            }
            assertThat(f.endStream()).as("the slow stream never finished").isFalse();
        }
        assertThat(goAways).extracting(RawH2.Frame::lastStreamId).containsExactly(Integer.MAX_VALUE, 1);
        assertThat(System.nanoTime() - t0).as("closed after the PING wait and the grace")
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1000));
    }

    @Test
    void rapidResetIsCutOffAfterMaxResetsAndCountedInMetrics() throws Exception {
        InetSocketAddress front = start("", "");
        RawH2 c = open(front);
        // Write the attack from another thread while this one reads, so neither side's buffers stall the other.
        CompletableFuture<Integer> sent = CompletableFuture.supplyAsync(() -> {
            int n = 0;
            try {
                for (; n < 10_000; n++) {
                    c.headers(1 + 2 * n, true, ":method", "GET", ":scheme", "http", ":authority", authority,
                            ":path", "/");
                    c.rst(1 + 2 * n, 0x8);
                }
            } catch (java.io.IOException e) {
                // Ferry closed the connection.
            }
            return n;
        });
        RawH2.Frame goAway = c.readUntil(f -> f.type() == RawH2.GOAWAY, 100_000).getLast();
        assertThat(goAway.type()).isEqualTo(RawH2.GOAWAY);
        assertThat(goAway.errorCode()).as("ENHANCE_YOUR_CALM").isEqualTo(0xb);
        c.closedWithin(100_000);
        int attempted = sent.get(20, TimeUnit.SECONDS);
        Http2Stats stats = frontend().http2Stats();
        System.out.println("rapid reset: GOAWAY " + goAway + " after " + stats.rstReceived()
                + " RST_STREAM frames read (client wrote " + attempted + " pairs before the close); origin saw "
                + origin.accepted() + " connections");
        assertThat(stats.rstReceived()).as("RST_STREAM read before the cut").isBetween(200L, 201L);
        // Netty's hard shutdown (its limits' connection errors) names 2^31-1: nothing is promised to the attacker.
        assertThat(goAway.lastStreamId()).isEqualTo(Integer.MAX_VALUE);
        try (MetricsExporter metrics = new MetricsExporter(balancer)) {
            String text = metrics.scrape();
            assertThat(text).contains(
                    "ferry_http2_goaway_total{code=\"enhance_your_calm\",frontend=\"front\"} 1.0",
                    "ferry_http2_protocol_violations_total{frontend=\"front\",kind=\"rapid_reset\"} 1.0",
                    "ferry_http2_rst_total{direction=\"received\",frontend=\"front\"} " + stats.rstReceived() + ".0",
                    "ferry_http2_rst_total{direction=\"sent\",frontend=\"front\"}",
                    "ferry_http2_protocol_violations_total{frontend=\"front\",kind=\"control_flood\"} 0.0");
        }
        // Ferry is still up.
        RawH2 next = open(front);
        next.get(1, authority, "/");
        assertThat(next.response(1).status()).isEqualTo(200);
    }

    @Test
    void aClientThatDoesNotReadIsCutOffAfterMaxQueuedControlFrames() throws Exception {
        InetSocketAddress front = start("", "http: { h2: { max_control_frames: 100000000 } }");
        RawH2 c = open(front);
        // PINGs in bulk, nothing read: Ferry's answers pile up until the queue limit cuts the client off.
        byte[] pings = new byte[17 * 1024];
        ByteBuffer b = ByteBuffer.wrap(pings);
        for (int i = 0; i < 1024; i++) {
            b.put(RawH2.header(8, RawH2.PING, 0, 0)).putLong(i);
        }
        int batches = 0;
        try {
            for (; batches < 20_000; batches++) {
                c.raw(pings);
            }
        } catch (java.io.IOException e) {
            // Ferry closed the connection.
        }
        Http2Stats stats = frontend().http2Stats();
        await().atMost(Duration.ofSeconds(10)).until(() -> stats.violations("queued_control_frames") == 1);
        System.out.println("queued control frames: cut off after " + batches + " batches of 1024 PINGs written");
        assertThat(batches).as("cut off before the client wrote everything").isLessThan(20_000);
        assertThat(stats.goAways(io.netty.handler.codec.http2.Http2Error.ENHANCE_YOUR_CALM)).isEqualTo(1);
    }
}
