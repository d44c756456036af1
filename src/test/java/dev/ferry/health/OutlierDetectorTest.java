package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.OutlierConfig;
import dev.ferry.testing.Configs;
import dev.ferry.testing.ManualTimeline;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class OutlierDetectorTest {
    private final ManualTimeline timeline = new ManualTimeline();
    private final HealthStats stats = new HealthStats();
    private Backend backend;
    private OutlierDetector detector;
    private Server a;
    private Server b;
    private Server c;

    @BeforeEach
    void setUp() {
        backend = new Backend(Configs.tcp("rr").server("a", "127.0.0.1:1", 1).server("b", "127.0.0.1:2", 1)
                .server("c", "127.0.0.1:3", 1).build().backends().get(0));
        a = backend.server("a").orElseThrow();
        b = backend.server("b").orElseThrow();
        c = backend.server("c").orElseThrow();
        OutlierConfig config = new OutlierConfig(3, Duration.ofSeconds(30), 50);
        detector = new OutlierDetector(backend, EjectionPolicy.of(config), timeline, stats);
        detector.start();
    }

    @Test
    void consecutiveFailuresThroughTheServerEjectAndASuccessBreaksTheRun() {
        a.recordFailure();
        a.recordFailure();
        a.recordSuccess();
        a.recordFailure();
        a.recordFailure();
        timeline.advance(Duration.ZERO);
        assertThat(backend.snapshot().servers()).containsExactly(a, b, c);

        a.recordFailure();
        assertThat(a.ejected()).as("the proxy's thread only counts; the ejection runs on the timeline").isFalse();
        timeline.advance(Duration.ZERO);

        assertThat(a.ejected()).isTrue();
        assertThat(backend.snapshot().servers()).containsExactly(b, c);
        assertThat(stats.of(a).ejections()).isEqualTo(1);
    }

    @Test
    void ejectionsGrowOnRepeatOffencesAreCappedAndAreForgivenByTimeInService() {
        eject(a);
        timeline.advance(Duration.ofSeconds(30).minusMillis(1));
        assertThat(a.ejected()).isTrue();
        timeline.advance(Duration.ofMillis(1));
        assertThat(a.ejected()).as("the first ejection lasts 30s").isFalse();

        eject(a);
        timeline.advance(Duration.ofSeconds(59));
        assertThat(a.ejected()).as("the second, straight after, lasts 60s").isTrue();
        timeline.advance(Duration.ofSeconds(1));
        assertThat(a.ejected()).isFalse();

        for (int offence = 3; offence <= 12; offence++) {
            eject(a);
            long expected = Math.min(offence, EjectionPolicy.MAX_MULTIPLIER) * 30L;
            timeline.advance(Duration.ofSeconds(expected).minusMillis(1));
            assertThat(a.ejected()).as("offence %d lasts %ds", offence, expected).isTrue();
            timeline.advance(Duration.ofMillis(1));
            assertThat(a.ejected()).isFalse();
        }

        // 10 offences counted; 9 x 30s back in service forgives 9 of them, so the next ejection is the second.
        timeline.advance(Duration.ofSeconds(9 * 30));
        eject(a);
        timeline.advance(Duration.ofSeconds(59));
        assertThat(a.ejected()).isTrue();
        timeline.advance(Duration.ofSeconds(1));
        assertThat(a.ejected()).isFalse();
        assertThat(timeline.pending()).isZero();
    }

    @Test
    void neverMoreThanTheAllowedShareOfTheBackendIsEjected() {
        eject(a);
        eject(b);
        eject(c);

        assertThat(a.ejected()).isTrue();
        assertThat(b.ejected()).as("50% of 3 servers is 1 server").isFalse();
        assertThat(c.ejected()).isFalse();
        assertThat(backend.snapshot().servers()).containsExactly(b, c);

        timeline.advance(Duration.ofSeconds(30));
        eject(b);
        assertThat(b.ejected()).as("once a is back, b may go").isTrue();
        assertThat(backend.snapshot().servers()).containsExactly(a, c);
    }

    @Test
    void aBackendOfOneServerNeverLosesIt() {
        Backend single = new Backend(Configs.tcp("rr").server("only", "127.0.0.1:1", 1).build().backends().get(0));
        new OutlierDetector(single, new EjectionPolicy(1, 1_000, 99), timeline, stats).start();
        Server only = single.server("only").orElseThrow();
        for (int i = 0; i < 10; i++) {
            only.recordFailure();
            timeline.advance(Duration.ZERO);
        }
        assertThat(only.ejected()).isFalse();
        assertThat(single.snapshot().servers()).containsExactly(only);
    }

    private void eject(Server server) {
        for (int i = 0; i < 3; i++) {
            server.recordFailure();
        }
        timeline.advance(Duration.ZERO);
    }

    @Test
    void stoppingLetsEjectedServersBackAndIgnoresFurtherFailures() {
        eject(a);
        assertThat(a.ejected()).isTrue();

        detector.stop();
        b.recordFailure();
        b.recordFailure();
        b.recordFailure();
        timeline.advance(Duration.ZERO);

        assertThat(a.ejected()).as("a reload must not leave a server out with nobody to let it back").isFalse();
        assertThat(b.ejected()).isFalse();
        assertThat(backend.outcomes()).isSameAs(dev.ferry.backend.ServerOutcomes.NONE);
        assertThat(timeline.pending()).isZero();
    }
}
