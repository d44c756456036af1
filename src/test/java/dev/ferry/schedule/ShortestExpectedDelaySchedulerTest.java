package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** IPVS sed (spec §2.5, §5.2.3). */
class ShortestExpectedDelaySchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new ShortestExpectedDelayScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Test
    void followsTheWeightsCountingTheIncomingJob() {
        assertThat(ServerPool.of(newScheduler(), 3, 1).picks(16)).isEqualTo("AAABAAAB" + "AAABAAAB");
        assertThat(ServerPool.of(newScheduler(), 1, 3).picks(16)).isEqualTo("BBABBBAB" + "BBABBBAB");
    }

    @Test
    void atZeroLoadTheHeaviestServerWins() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 5, 5);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("B"));
    }

    @Test
    void inactiveConnectionsAreIgnored() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1).load("A", 1, 0).load("B", 0, 10_000);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("B"));
    }

    @Test
    void anExactTieKeepsTheFirst() {
        // (1+1)/2 = (0+1)/1
        ServerPool pool = ServerPool.of(newScheduler(), 2, 1).load("A", 1, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
    }

    @Test
    void quiescedAndOverloadedServersAreNeverChosen() {
        ServerPool pool = ServerPool.of(newScheduler(), 0, 9, 1).overloaded("B", true).load("C", 20, 0);
        assertThat(pool.picks(3)).isEqualTo("CCC");
        pool.overloaded("C", true);
        assertThat(pool.picks(1)).isEqualTo("-");
    }
}
