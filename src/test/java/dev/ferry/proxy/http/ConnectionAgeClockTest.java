package dev.ferry.proxy.http;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConnectionAge;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.ManualLoopClock;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.Transport;
import io.netty.handler.codec.http2.Http2Error;
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
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18 item 6, {@code max_connection_age} on a hand-driven clock ({@link ManualLoopClock}): an age of ten minutes
 * and a grace of one, reached by moving the clock. HTTP/1: the first response after the age (at most 1.1 times it)
 * says {@code Connection: close}, responses before it (at most 0.9 times it) do not. HTTP/2: nothing before 0.9 times
 * the age; by 1.1 times it the GOAWAY of 2^31-1 and a PING; a second later, unanswered, the GOAWAY naming the last
 * stream; the grace later, the close while a stream is still under way. Plus the jitter's range on a seeded random.
 */
@Timeout(30)
class ConnectionAgeClockTest {
    private static final Duration AGE = Duration.ofMinutes(10);
    private final Transport transport = new Transport(1);
    private final ManualLoopClock clock = new ManualLoopClock();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private HttpFrontend frontend;

    @AfterEach
    void tearDown() throws Exception {
        release.countDown();
        for (AutoCloseable r : resources) {
            r.close();
        }
        if (frontend != null) {
            frontend.stopAccepting();
            frontend.closeAll();
        }
        transport.close();
    }

    private InetSocketAddress start() throws Exception {
        TestServer server = Origin.start("o", (r, out, s) -> {
            if (r.target().startsWith("/slow")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Origin.text(out, 200, "o");
            return true;
        });
        resources.add(server);
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool, max_connection_age: 10m,
                      max_connection_age_grace: 1m, timeouts: { client_idle: 1h, request_header: 1h } }
                backends:
                  - { name: pool, timeouts: { response: 1h, server_idle: 1h }, servers: [ { address: %s } ] }
                """.formatted(server.address()), Path.of("age.yaml"));
        Backend pool = new Backend(config.backends().getFirst());
        frontend = new HttpFrontend(config.frontends().getFirst(), Map.of("pool", pool), transport, AccessLog.NONE,
                Optional.empty(), clock::on);
        return frontend.start();
    }

    @Test
    void theJitterKeepsEachAgeWithinTenPerCentOfTheSetting() {
        ConnectionAge age = new ConnectionAge(AGE, Duration.ofMinutes(1));
        Random random = new Random(18);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long n = age.jitteredNanos(random);
            min = Math.min(min, n);
            max = Math.max(max, n);
        }
        assertThat(min).isGreaterThanOrEqualTo((long) (AGE.toNanos() * 0.9));
        assertThat(max).isLessThanOrEqualTo((long) (AGE.toNanos() * 1.1));
        // Spread over the range, not bunched at one end.
        assertThat(max - min).isGreaterThan((long) (AGE.toNanos() * 0.19));
    }

    @Test
    void anHttp1ConnectionPastItsAgeClosesAfterItsNextResponse() throws Exception {
        InetSocketAddress front = start();
        Raw c = new Raw(front);
        resources.add(c);
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend.stats().active() == 1);

        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Raw.Response young = c.read();
        assertThat(young.status()).isEqualTo(200);
        assertThat(young.header("Connection")).as("before the age").isNull();
        clock.advance(AGE.multipliedBy(9).dividedBy(10).minusMillis(1));
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(c.read().header("Connection")).as("at 0.9 times the age, still young").isNull();

        clock.advance(AGE.multipliedBy(2).dividedBy(10));
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Raw.Response old = c.read();
        assertThat(old.status()).isEqualTo(200);
        assertThat(old.header("Connection")).isEqualToIgnoringCase("close");
        assertThat(c.closedByPeer()).isTrue();
    }

    @Test
    void anHttp2ConnectionPastItsAgeGetsBothGoawaysAndClosesAfterTheGrace() throws Exception {
        InetSocketAddress front = start();
        RawH2 c = RawH2.open(front);
        resources.add(c);
        String authority = "127.0.0.1:" + front.getPort();
        c.get(1, authority, "/");
        assertThat(c.response(1).status()).isEqualTo(200);
        c.get(3, authority, "/slow");
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend.stats().active() == 1);

        clock.advance(AGE.multipliedBy(9).dividedBy(10).minusMillis(1));
        c.ping(7);
        RawH2.Frame first = c.readUntil(f -> f.type() == RawH2.PING || f.type() == RawH2.GOAWAY, 10).getLast();
        assertThat(first.type()).as("nothing but the PING's answer before 0.9 times the age").isEqualTo(RawH2.PING);
        assertThat(first.flags() & RawH2.ACK).isEqualTo(RawH2.ACK);

        // The age is jittered: time moves in 100 ms steps until the first GOAWAY went, so the steps below start
        // from then (one big step would also run the timers the GOAWAY sets, and the grace would start unseen).
        for (int i = 0; i < 2_500 && frontend.http2Stats().goAways(Http2Error.NO_ERROR) == 0; i++) {
            clock.advance(Duration.ofMillis(100));
        }
        List<RawH2.Frame> step1 = c.readUntil(f -> f.type() == RawH2.PING, 10);
        RawH2.Frame goAway = step1.stream().filter(f -> f.type() == RawH2.GOAWAY).findFirst().orElseThrow();
        assertThat(goAway.lastStreamId()).isEqualTo(Integer.MAX_VALUE);
        assertThat(step1.getLast().flags() & RawH2.ACK).as("Ferry's own PING").isZero();

        // The PING is not answered: a second later the real GOAWAY anyway.
        clock.advance(Duration.ofSeconds(1));
        RawH2.Frame second = c.readUntil(f -> f.type() == RawH2.GOAWAY, 10).getLast();
        assertThat(second.type()).isEqualTo(RawH2.GOAWAY);
        assertThat(second.lastStreamId()).isEqualTo(3);
        assertThat(frontend.stats().active()).as("stream 3 is still under way").isEqualTo(1);

        // The grace started within the last 100 ms step before the first GOAWAY, plus the second.
        clock.advance(Duration.ofMinutes(1).minusMillis(200));
        assertThat(frontend.stats().active()).as("within the grace").isEqualTo(1);
        clock.advance(Duration.ofMillis(200));
        assertThat(c.closedWithin(100)).as("closed at the end of the grace").isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> frontend.stats().active() == 0);
    }
}
