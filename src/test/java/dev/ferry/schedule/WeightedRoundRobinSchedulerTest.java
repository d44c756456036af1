package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Exact sequences of IPVS wrr (spec §2.2, §5.1.3–5.1.8), each over at least two periods. */
class WeightedRoundRobinSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new WeightedRoundRobinScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    private static String sequence(int picks, int... weights) {
        return ServerPool.of(new WeightedRoundRobinScheduler(), weights).picks(picks);
    }

    @Test
    void interleavesByDescendingCurrentWeight() {
        assertThat(sequence(18, 4, 3, 2)).isEqualTo("AABABCABC" + "AABABCABC");
    }

    @Test
    void stepsByTheGcdOfTheWeights() {
        assertThat(sequence(9, 4, 2)).isEqualTo("AAB" + "AAB" + "AAB");
        assertThat(sequence(12, 6, 4, 2)).isEqualTo("AABABC" + "AABABC");
    }

    @Test
    void quiescedAndSmallWeights() {
        assertThat(sequence(8, 3, 0, 1)).isEqualTo("AAAC" + "AAAC");
        assertThat(sequence(10, 2, 3)).isEqualTo("BABAB" + "BABAB");
        assertThat(sequence(12, 5, 1)).isEqualTo("AAAAAB" + "AAAAAB");
    }

    @Test
    void equalWeightsAreRoundRobin() {
        assertThat(sequence(6, 7, 7, 7)).isEqualTo("ABCABC");
    }

    @Test
    void anOverloadedServerIsPassedOver() {
        ServerPool pool = ServerPool.of(newScheduler(), 4, 3, 2).overloaded("B", true);
        assertThat(pool.picks(12)).isEqualTo("AAACAC" + "AAACAC");
    }

    @Test
    void noneWhenEveryWeightIsZero() {
        assertThat(sequence(3, 0, 0, 0)).isEqualTo("---");
    }

    @Test
    void noneWhileEveryServerIsOverloadedThenResumes() {
        ServerPool pool = ServerPool.of(newScheduler(), 4, 3, 2)
                .overloaded("A", true).overloaded("B", true).overloaded("C", true);
        assertThat(pool.picks(3)).isEqualTo("---");
        pool.overloaded("A", false).overloaded("B", false).overloaded("C", false);
        assertThat(pool.picks(9)).isEqualTo("AABABCABC");
    }

    @Test
    void aWeightChangeResetsTheCursorAndKeepsTheCurrentWeight() {
        ServerPool pool = ServerPool.of(newScheduler(), 4, 3, 2);
        assertThat(pool.picks(2)).isEqualTo("AA");
        pool.weight("C", 4);
        assertThat(pool.picks(11)).isEqualTo("ABCABCABCAC");
    }

    @Test
    void aCurrentWeightAboveTheNewMaximumDropsToIt() {
        ServerPool pool = ServerPool.of(newScheduler(), 4, 3, 2);
        assertThat(pool.picks(1)).isEqualTo("A");
        pool.weight("A", 1); // mw becomes 3 < cw = 4
        assertThat(pool.picks(12)).isEqualTo("BBCABC" + "BBCABC");
    }

    @Test
    void withAGcdAboveOneTheCurrentWeightRealignsToTheNewSteps() {
        ServerPool pool = ServerPool.of(newScheduler(), 6, 4, 2);
        assertThat(pool.picks(1)).isEqualTo("A"); // cw = mw = 5
        pool.weight("A", 8); // di = 2, mw = 7, cw = (5/2)*2 + 1 = 5
        assertThat(pool.picks(13)).isEqualTo("AABABC" + "AAABABC");
    }

    @Test
    void removingAServerResetsTheCursor() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1, 1);
        assertThat(pool.picks(2)).isEqualTo("AB");
        pool.remove("D");
        assertThat(pool.picks(6)).isEqualTo("ABCABC");
    }

    @Test
    void anAvoidedServerIsPassedOverAndNoneWhenAllAreAvoided() {
        ServerPool pool = ServerPool.of(newScheduler(), 4, 3, 2);
        PickContext avoidA = PickContext.EMPTY.retryAvoiding(pool.server("A"));
        assertThat(pool.picks(10, avoidA)).doesNotContain("A").doesNotContain("-");
        PickContext avoidAll = avoidA.retryAvoiding(pool.server("B")).retryAvoiding(pool.server("C"));
        assertThat(pool.picks(2, avoidAll)).isEqualTo("--");
    }

    @Test
    void aServerAvoidedOnceIsTreatedLikeAnOverloadedOne() {
        // Weights 4,3,2 avoiding B on every pick gives the same sequence as B overloaded (spec §5.1.6).
        ServerPool pool = ServerPool.of(newScheduler(), 4, 3, 2);
        PickContext avoidB = PickContext.EMPTY.retryAvoiding(pool.server("B"));
        assertThat(pool.picks(12, avoidB)).isEqualTo("AAACAC" + "AAACAC");
    }
}
