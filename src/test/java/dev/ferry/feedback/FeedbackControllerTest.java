package dev.ferry.feedback;

import dev.ferry.backend.Backend;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.config.FeedbackConfig;
import dev.ferry.config.LoadCoefficients;
import dev.ferry.health.AgentReply;
import dev.ferry.testing.Configs;
import dev.ferry.testing.ManualTimeline;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller on a hand-driven timeline, with agents whose replies the test writes. */
class FeedbackControllerTest {
    private static final Duration INTERVAL = Duration.ofSeconds(10);
    private static final LoadCoefficients CPU_ONLY = new LoadCoefficients(0, 1, 0, 0, 0, 0);

    private final ManualTimeline timeline = new ManualTimeline();
    /** What each server's agent answers; absent = it does not answer. */
    private final Map<String, String> replies = new HashMap<>();
    private final AgentPoller agents = (server, timeout, done) ->
            done.accept(Optional.ofNullable(replies.get(server.name())).map(AgentReply::parse));

    private Backend backend(int... weights) {
        Configs c = Configs.tcp("wlc");
        for (int i = 0; i < weights.length; i++) {
            c.server(String.valueOf((char) ('a' + i)), "127.0.0.1:" + (i + 1), weights[i]);
        }
        return new Backend(c.build().backends().get(0));
    }

    private FeedbackController controller(Backend backend, LoadCoefficients coefficients) {
        FeedbackController f = new FeedbackController(backend, new FeedbackConfig(true, INTERVAL, 9777, coefficients),
                agents, s -> Double.NaN, timeline);
        f.start();
        timeline.advance(Duration.ZERO);
        return f;
    }

    private static String cpu(double cpu) {
        return String.format(java.util.Locale.ROOT, "up cpu=%.3f mem=0 io=0 procs=1 running=1 load1=0 cpus=1", cpu);
    }

    @Test
    void spec595_aChangeBelowThePushThresholdLeavesTheSchedulersWeightButAddsUp() {
        Backend backend = backend(100);
        Server a = backend.server("a").orElseThrow();
        replies.put("a", cpu(0.825));
        FeedbackController feedback = controller(backend, CPU_ONLY);
        long version = backend.snapshot().version();

        timeline.advance(INTERVAL);
        assertThat(feedback.weight(a)).as("100 + 2.5 rounds half up").isEqualTo(103);
        assertThat(a.weight()).as("3 < 5% of 100: not pushed").isEqualTo(100);
        assertThat(backend.snapshot().version()).isEqualTo(version);

        timeline.advance(INTERVAL);
        assertThat(feedback.weight(a)).isEqualTo(106);
        assertThat(a.weight()).as("6 >= 5: pushed").isEqualTo(106);
        assertThat(a.configuredWeight()).isEqualTo(100);
        assertThat(a.feedbackFactor()).isEqualTo(1.06);
    }

    @Test
    void spec597_aServerThatStopsAnsweringGetsWeight0AndResumesFromTheFormula() {
        Backend backend = backend(10, 10);
        Server a = backend.server("a").orElseThrow();
        Server b = backend.server("b").orElseThrow();
        replies.put("a", cpu(0.95));
        replies.put("b", cpu(0.95));
        FeedbackController feedback = controller(backend, CPU_ONLY);
        timeline.advance(INTERVAL);
        assertThat(a.weight()).isEqualTo(10);

        replies.remove("a");
        timeline.advance(INTERVAL);
        assertThat(a.weight()).as("the poll of this round goes unanswered; that counts at the next").isEqualTo(10);
        timeline.advance(INTERVAL);
        assertThat(a.weight()).as("no answer within the interval").isZero();
        assertThat(feedback.weight(a)).isZero();
        assertThat(b.weight()).isEqualTo(10);
        timeline.advance(INTERVAL);
        assertThat(a.weight()).isZero();

        replies.put("a", cpu(0.825));
        timeline.advance(INTERVAL);
        assertThat(a.weight()).as("the poll of this round is answered; it counts at the next one").isZero();
        timeline.advance(INTERVAL);
        assertThat(a.weight()).as("0 + 2.5 rounds half up to 3").isEqualTo(3);
    }

    @Test
    void spec596_inputIsMeasuredFromTheConnectionsFerryMadeInTheInterval() {
        Backend backend = backend(10, 10, 10);
        for (String s : new String[] {"a", "b", "c"}) {
            replies.put(s, cpu(0));
        }
        FeedbackController feedback = controller(backend, new LoadCoefficients(1, 0, 0, 0, 0, 0));
        connect(backend, "a", 30);
        connect(backend, "b", 10);
        connect(backend, "c", 20);

        timeline.advance(INTERVAL);

        // INPUT [1.5, 0.5, 1.0] -> deltas 5 cbrt(-0.55), 5 cbrt(0.45), 5 cbrt(-0.05) = -4.10, +3.83, -1.84.
        assertThat(feedback.weight(backend.server("a").orElseThrow())).isEqualTo(6);
        assertThat(feedback.weight(backend.server("b").orElseThrow())).isEqualTo(14);
        assertThat(feedback.weight(backend.server("c").orElseThrow())).isEqualTo(8);
    }

    @Test
    void haproxyAgentRepliesSetTheWeightDirectly() {
        Backend backend = backend(20);
        Server a = backend.server("a").orElseThrow();
        replies.put("a", "up 50%");
        controller(backend, CPU_ONLY);
        timeline.advance(INTERVAL);
        assertThat(a.weight()).isEqualTo(10);
        assertThat(weightAfterReply(a, "drain")).isZero();
        assertThat(weightAfterReply(a, "ready")).as("ready after 0 restores the configured weight").isEqualTo(20);
        assertThat(weightAfterReply(a, "maint")).isZero();
        assertThat(weightAfterReply(a, "150%")).isEqualTo(30);
        assertThat(weightAfterReply(a, "up")).as("a bare up keeps the weight").isEqualTo(30);
    }

    /** The agent's reply changes now; the next poll reads it and the round after applies it. */
    private int weightAfterReply(Server server, String reply) {
        replies.put(server.name(), reply);
        timeline.advance(INTERVAL.multipliedBy(2));
        return server.weight();
    }

    @Test
    void quiescedServersAreNeitherPolledNorAdjusted() {
        Backend backend = backend(0, 10);
        Server a = backend.server("a").orElseThrow();
        controller(backend, CPU_ONLY);
        timeline.advance(INTERVAL.multipliedBy(3));
        assertThat(a.weight()).isZero();
        assertThat(a.feedbackFactor()).isEqualTo(1.0);
        assertThat(backend.server("b").orElseThrow().weight()).as("b's agent never answers").isZero();
    }

    private static void connect(Backend backend, String server, int times) {
        Server s = backend.server(server).orElseThrow();
        for (int i = 0; i < times; i++) {
            ConnectionLease lease = s.open();
            lease.close();
        }
    }

    @Test
    void stoppingGivesTheConfiguredWeightsBack() {
        Backend backend = backend(10);
        Server a = backend.server("a").orElseThrow();
        replies.put("a", cpu(0));
        FeedbackController feedback = controller(backend, CPU_ONLY);
        timeline.advance(INTERVAL.multipliedBy(3));
        assertThat(a.weight()).isGreaterThan(10);

        feedback.stop();
        timeline.advance(INTERVAL.multipliedBy(3));

        assertThat(a.weight()).isEqualTo(10);
        assertThat(a.feedbackFactor()).isEqualTo(1.0);
        assertThat(timeline.pending()).isZero();
    }
}
