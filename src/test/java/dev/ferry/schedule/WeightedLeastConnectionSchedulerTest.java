package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** IPVS wlc (spec §2.4, §5.2). */
class WeightedLeastConnectionSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new WeightedLeastConnectionScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Test
    void followsTheWeightsFromEmpty() {
        assertThat(ServerPool.of(newScheduler(), 3, 1).picks(16)).isEqualTo("ABAAABAA" + "ABAAABAA");
        assertThat(ServerPool.of(newScheduler(), 4, 3, 2).picks(18)).isEqualTo("ABCABACBA" + "ABCABACBA");
    }

    @Test
    void anActiveConnectionWeighs256Inactive() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1).load("A", 1, 0).load("B", 0, 300);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
        pool.load("B", 0, 256);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
    }

    @Test
    void anExactTieOfRatiosKeepsTheFirst() {
        ServerPool pool = ServerPool.of(newScheduler(), 2, 1).load("A", 2, 0).load("B", 1, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
        ServerPool reversed = ServerPool.of(newScheduler(), 1, 2).load("A", 1, 0).load("B", 2, 0);
        assertThat(reversed.scheduler().pick(PickContext.EMPTY)).isSameAs(reversed.server("A"));
    }

    @Test
    void quiescedAndOverloadedServersAreNeverChosenEvenIdle() {
        ServerPool pool = ServerPool.of(newScheduler(), 0, 1, 1).overloaded("B", true).load("C", 50, 9);
        assertThat(pool.picks(3)).isEqualTo("CCC");
        pool.weight("C", 0);
        assertThat(pool.picks(2)).isEqualTo("--");
    }

    @Test
    void aServerLeavingItsOverloadReturnsToTheRace() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1).overloaded("A", true).load("B", 3, 0);
        assertThat(pool.picks(1)).isEqualTo("B");
        pool.overloaded("A", false);
        assertThat(pool.picks(6)).isEqualTo("AAAAAB");
    }

    @Test
    void largeWeightsAndLoadsCompareExactly() {
        // 196605/65535 = 196602/65534 = 3 exactly: a tie keeps A; one connection less on B breaks it.
        ServerPool pool = ServerPool.of(newScheduler(), 65_535, 65_534).load("A", 196_605, 0).load("B", 196_602, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
        pool.load("B", 196_601, 255);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("B"));
        pool.load("B", 196_601, 256);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
    }
}
