package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.testing.Configs;
import dev.ferry.testing.ManualTimeline;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The check's timing on a hand-driven timeline with a probe whose answer the test sets. */
class ActiveCheckTimelineTest {
    private static final long INTERVAL = Duration.ofSeconds(2).toNanos();
    private static final int RISE = 2;
    private static final int FALL = 3;

    private final ManualTimeline timeline = new ManualTimeline();
    private final Backend backend = new Backend(Configs.tcp("rr").server("a", "127.0.0.1:1", 1)
            .server("b", "127.0.0.1:2", 1).build().backends().get(0));
    private final Server a = backend.server("a").orElseThrow();
    private final ServerHealth health = new ServerHealth();
    /** What the scripted probe answers; answers at once, as a refused connection does. */
    private boolean serverAnswers = true;
    private int probes;

    private ActiveCheck check(long seed) {
        HealthProbe probe = (loop, target, timeout, done) -> {
            probes++;
            done.accept(serverAnswers ? ProbeResult.pass("connected") : ProbeResult.fail("connection refused"));
        };
        return new ActiveCheck(backend, a, probe, new InetSocketAddress(1), INTERVAL, INTERVAL / 2, RISE, FALL,
                timeline, null, new SplittableRandom(seed), health, false);
    }

    @Test
    void aServerThatDiesIsOutWithinFallIntervalsAndBackWithinRiseIntervalsWhateverTheJitter() {
        for (long seed = 0; seed < 50; seed++) {
            serverAnswers = true;
            backend.setHealthy(a, true);
            ActiveCheck check = check(seed);
            check.start();
            timeline.advance(Duration.ofSeconds(7).plusMillis(seed * 37));

            serverAnswers = false;
            long died = timeline.nanoTime();
            long out = timeWhen(() -> !a.healthy());
            assertThat(out - died).as("seed %d", seed).isLessThanOrEqualTo(FALL * INTERVAL)
                    .isGreaterThan((FALL - 1) * INTERVAL * 9 / 10);
            assertThat(backend.snapshot().servers()).doesNotContain(a);

            serverAnswers = true;
            long revived = timeline.nanoTime();
            long back = timeWhen(a::healthy);
            assertThat(back - revived).as("seed %d", seed).isLessThanOrEqualTo(RISE * INTERVAL);
            assertThat(backend.snapshot().servers()).contains(a);
            check.stop();
        }
    }

    @Test
    void checksComeEveryIntervalLessAtMostTenPercentAndAreCounted() {
        check(7).start();
        timeline.advance(Duration.ofSeconds(100));
        // 100s / 2s = 50 checks without jitter; with up to 10% less per interval, at most 100 / 1.8 + 1.
        assertThat(probes).isBetween(50, 56);
        assertThat(health.checksPassed()).isEqualTo(probes);
        assertThat(health.checksFailed()).isZero();
        assertThat(health.lastReason()).isEqualTo("connected");

        serverAnswers = false;
        timeline.advance(Duration.ofSeconds(10));
        assertThat(health.up()).isFalse();
        assertThat(health.transitions()).isEqualTo(1);
        assertThat(health.lastReason()).isEqualTo("connection refused");
    }

    @Test
    void riseAndFallCountOnlyUnbrokenRuns() {
        RiseFall v = new RiseFall(2, 3, true);
        assertThat(v.record(false)).isFalse();
        assertThat(v.record(false)).isFalse();
        assertThat(v.record(true)).isFalse();
        assertThat(v.record(false)).isFalse();
        assertThat(v.record(false)).isFalse();
        assertThat(v.up()).isTrue();
        assertThat(v.record(false)).isTrue();
        assertThat(v.up()).isFalse();
        assertThat(v.record(true)).isFalse();
        assertThat(v.record(false)).isFalse();
        assertThat(v.record(true)).isFalse();
        assertThat(v.record(true)).isTrue();
        assertThat(v.up()).isTrue();
    }

    /** Walks the timeline in 10 ms steps (bounded) until the condition holds, and returns that time. */
    private long timeWhen(java.util.function.BooleanSupplier condition) {
        for (int i = 0; i < 10_000; i++) {
            if (condition.getAsBoolean()) {
                return timeline.nanoTime();
            }
            timeline.advance(Duration.ofMillis(10));
        }
        throw new AssertionError("condition never held within 100 s of timeline");
    }
}
