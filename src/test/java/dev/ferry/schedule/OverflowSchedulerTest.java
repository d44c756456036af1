package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** IPVS ovf (spec §2.8, §5.3.3–5.3.5). */
class OverflowSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new OverflowScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {0, 0, 1};
    }

    @Override
    protected boolean picksKeepConnections() {
        return false; // kept connections would fill every server: ovf then rightly answers none
    }

    @Test
    void fillsTheHeaviestServerUpToOneAboveItsWeightThenOverflows() {
        ServerPool pool = ServerPool.of(newScheduler(), 2, 1);
        assertThat(pool.picks(6)).isEqualTo("AAABB-");
        pool.closeAll();
        assertThat(pool.picks(6)).isEqualTo("AAABB-");
    }

    @Test
    void aServerAtItsWeightIsEligibleAndAboveItIsSkipped() {
        ServerPool pool = ServerPool.of(newScheduler(), 2, 1).load("A", 2, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
        pool.load("A", 3, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("B"));
    }

    @Test
    void inactiveConnectionsDoNotCount() {
        ServerPool pool = ServerPool.of(newScheduler(), 2, 1).load("A", 0, 1000);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
    }

    @Test
    void equalTopWeightsGoToTheFirst() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 3, 3);
        assertThat(pool.picks(8)).isEqualTo("BBBBCCCC");
    }

    @Test
    void quiescedAndOverloadedServersAreSkipped() {
        ServerPool pool = ServerPool.of(newScheduler(), 5, 0, 1).overloaded("A", true);
        assertThat(pool.picks(3)).isEqualTo("CC-");
    }
}
