package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.testing.Configs;
import dev.ferry.testing.ManualTimeline;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SlowStartTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theRampHoldsTheFirstStepForTwoPeriodsThenGainsATenthPerPeriodAndEndsAtTheDuration() {
        SlowStartRamp ramp = new SlowStartRamp(10 * SECOND, 10);
        assertThat(ramp.share(0)).isEqualTo(0.1);
        assertThat(ramp.share(SECOND)).isEqualTo(0.1);
        assertThat(ramp.share(2 * SECOND - 1)).isEqualTo(0.1);
        assertThat(ramp.share(2 * SECOND)).isEqualTo(0.2);
        assertThat(ramp.share(9 * SECOND)).isEqualTo(0.9);
        assertThat(ramp.share(10 * SECOND - 1)).isEqualTo(0.9);
        assertThat(ramp.share(10 * SECOND)).isEqualTo(1.0);
        assertThat(ramp.untilNextStep(0)).isEqualTo(2 * SECOND);
        assertThat(ramp.untilNextStep(2 * SECOND + 5)).isEqualTo(SECOND - 5);
        assertThat(ramp.untilNextStep(9 * SECOND)).isEqualTo(SECOND);
        assertThat(ramp.isDone(10 * SECOND)).isTrue();
    }

    @Test
    void aServerThatComesBackRampsOnTheTimelineWhileTheOthersKeepTheirWeight() {
        Backend backend = backend();
        Server a = backend.server("a").orElseThrow();
        Server b = backend.server("b").orElseThrow();
        ManualTimeline timeline = new ManualTimeline();
        SlowStart slowStart = new SlowStart(backend, new SlowStartRamp(10 * SECOND, 10), timeline);
        slowStart.start();

        backend.setHealthy(a, false);
        backend.setHealthy(a, true);

        List<Integer> weights = new ArrayList<>();
        weights.add(a.weight());
        for (int second = 1; second <= 11; second++) {
            timeline.advance(Duration.ofSeconds(1));
            weights.add(a.weight());
        }
        assertThat(weights).containsExactly(2, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 20);
        assertThat(a.configuredWeight()).isEqualTo(20);
        assertThat(b.weight()).isEqualTo(20);
        assertThat(slowStart.isRamping(a)).isFalse();
        assertThat(timeline.pending()).isZero();
    }

    @Test
    void eachServerFollowsItsOwnRampWhenTheyComeBackAtDifferentTimes() {
        Backend backend = backend();
        Server a = backend.server("a").orElseThrow();
        Server b = backend.server("b").orElseThrow();
        ManualTimeline timeline = new ManualTimeline();
        new SlowStart(backend, new SlowStartRamp(10 * SECOND, 10), timeline).start();
        backend.setHealthy(a, false);
        backend.setHealthy(b, false);

        backend.setHealthy(a, true);
        timeline.advance(Duration.ofMillis(4_500));
        backend.setHealthy(b, true);
        assertThat(a.weight()).isEqualTo(8);
        assertThat(b.weight()).isEqualTo(2);
        timeline.advance(Duration.ofMillis(500));
        assertThat(a.weight()).isEqualTo(10);
        timeline.advance(Duration.ofMillis(1_500));
        assertThat(a.weight()).isEqualTo(12);
        assertThat(b.weight()).isEqualTo(4);
        timeline.advance(Duration.ofSeconds(10));
        assertThat(a.weight()).isEqualTo(20);
        assertThat(b.weight()).isEqualTo(20);
    }

    @Test
    void effectiveWeightMultipliesSlowStartShareAndFeedbackFactorAndKeepsAtLeastOne() {
        Backend backend = backend();
        Server a = backend.server("a").orElseThrow();
        backend.setFeedbackFactor(a, 1.5);
        assertThat(a.weight()).isEqualTo(30);
        backend.setSlowStartShare(a, 0.3);
        assertThat(a.weight()).isEqualTo(9);
        backend.setFeedbackFactor(a, 0.01);
        assertThat(a.weight()).as("0.06 rounds up to the least weight that still takes traffic").isEqualTo(1);
        backend.setFeedbackFactor(a, 0);
        assertThat(a.weight()).isZero();
        assertThat(a.configuredWeight()).isEqualTo(20);
    }

    private static Backend backend() {
        return new Backend(Configs.tcp("wrr").server("a", "127.0.0.1:1", 20).server("b", "127.0.0.1:2", 20)
                .slowStart(Duration.ofSeconds(10)).build().backends().get(0));
    }

    @Test
    void stoppingGivesRampingServersTheirFullWeightAndStopsListening() {
        Backend backend = backend();
        Server a = backend.server("a").orElseThrow();
        Server b = backend.server("b").orElseThrow();
        ManualTimeline timeline = new ManualTimeline();
        SlowStart slowStart = new SlowStart(backend, new SlowStartRamp(10 * SECOND, 10), timeline);
        slowStart.start();
        backend.setHealthy(a, false);
        backend.setHealthy(a, true);
        timeline.advance(Duration.ofSeconds(3));
        assertThat(a.weight()).isEqualTo(6);

        slowStart.stop();
        timeline.advance(Duration.ZERO);
        assertThat(a.weight()).isEqualTo(20);

        backend.setHealthy(b, false);
        backend.setHealthy(b, true);
        timeline.advance(Duration.ofSeconds(1));
        assertThat(b.weight()).as("a stopped slow start no longer ramps").isEqualTo(20);
        assertThat(timeline.pending()).isZero();
    }
}
