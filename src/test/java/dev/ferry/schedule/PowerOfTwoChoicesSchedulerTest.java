package dev.ferry.schedule;

import dev.ferry.backend.Server;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** IPVS twos (spec §2.9, §5.4), with the draws injected. */
class PowerOfTwoChoicesSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new PowerOfTwoChoicesScheduler(new Random(42));
    }

    @Override
    protected double[] expectedShares() {
        // Kept connections pull every server towards its weight's share.
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Override
    protected double shareTolerance() {
        return 0.02;
    }

    private static String choice(ServerPool pool, ScriptedRandom random, long r1, long r2) {
        random.then(r1, r2);
        Member s = pool.scheduler().pick(PickContext.EMPTY);
        assertThat(random.exhausted()).isTrue();
        return s == null ? "-" : s.name();
    }

    @Test
    void eachDrawLandsOnTheServerWhoseWeightCoversIt() {
        ScriptedRandom random = new ScriptedRandom();
        ServerPool pool = ServerPool.of(new PowerOfTwoChoicesScheduler(random), 1, 2, 1);
        StringBuilder landed = new StringBuilder();
        for (long r = 0; r <= 4; r++) {
            landed.append(choice(pool, random, r, r));
        }
        assertThat(landed).hasToString("AABBC");
        assertThat(random.lastBound()).as("draws are uniform over [0, W]").isEqualTo(5);
    }

    @Test
    void atZeroLoadTheFirstChoiceAlwaysWins() {
        assertThat(firstChoiceShares(1, 2, 1)).containsExactly(2, 2, 1);
        assertThat(firstChoiceShares(3, 3)).containsExactly(4, 3);
    }

    /** Counts of the result over every pair of draws at zero load, divided by W+1 (the draws of the second choice). */
    private static int[] firstChoiceShares(int... weights) {
        ScriptedRandom random = new ScriptedRandom();
        ServerPool pool = ServerPool.of(new PowerOfTwoChoicesScheduler(random), weights);
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int[] counts = new int[weights.length];
        for (long r1 = 0; r1 <= total; r1++) {
            for (long r2 = 0; r2 <= total; r2++) {
                counts[choice(pool, random, r1, r2).charAt(0) - 'A']++;
            }
        }
        for (int i = 0; i < counts.length; i++) {
            assertThat(counts[i] % (total + 1)).isZero();
            counts[i] /= total + 1;
        }
        return counts;
    }

    @Test
    void theSecondChoiceWinsOnlyWhenStrictlyLessLoadedPerWeight() {
        ScriptedRandom random = new ScriptedRandom();
        ServerPool pool = ServerPool.of(new PowerOfTwoChoicesScheduler(random), 1, 2, 1).load("B", 1, 0);
        assertThat(choice(pool, random, 3, 4)).isEqualTo("C");
        pool.load("C", 1, 0); // 1*256 > 2*256 is false
        assertThat(choice(pool, random, 3, 4)).isEqualTo("B");
        pool.load("C", 0, 511); // 1*256 > 2*511 is false
        assertThat(choice(pool, random, 3, 4)).isEqualTo("B");
        pool.load("C", 0, 127); // 256 > 254
        assertThat(choice(pool, random, 3, 4)).isEqualTo("C");
    }

    @Test
    void ineligibleServersTakeNoShareOfTheDraws() {
        ScriptedRandom random = new ScriptedRandom();
        ServerPool pool = ServerPool.of(new PowerOfTwoChoicesScheduler(random), 1, 0, 2, 1).overloaded("A", true);
        // Eligible: C(2), D(1); W = 3.
        StringBuilder landed = new StringBuilder();
        for (long r = 0; r <= 3; r++) {
            landed.append(choice(pool, random, r, r));
        }
        assertThat(landed).hasToString("CCCD");
        assertThat(random.lastBound()).isEqualTo(4);
    }

    @Test
    void anAvoidedServerTakesNoShareOfTheDraws() {
        ScriptedRandom random = new ScriptedRandom();
        ServerPool pool = ServerPool.of(new PowerOfTwoChoicesScheduler(random), 1, 2, 1);
        PickContext avoidB = PickContext.EMPTY.retryAvoiding(pool.server("B"));
        random.then(2, 2);
        assertThat(pool.scheduler().pick(avoidB)).isSameAs(pool.server("C"));
        assertThat(random.lastBound()).isEqualTo(3);
    }

    @Test
    void noneWithoutDrawingWhenNothingIsEligible() {
        ScriptedRandom random = new ScriptedRandom();
        ServerPool pool = ServerPool.of(new PowerOfTwoChoicesScheduler(random), 0, 1).overloaded("B", true);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isNull();
        assertThat(random.lastBound()).as("no draw made").isEqualTo(-1);
    }
}
