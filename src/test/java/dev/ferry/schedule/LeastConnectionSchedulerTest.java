package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** IPVS lc (spec §2.3, §5.2). */
class LeastConnectionSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new LeastConnectionScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0};
    }

    @Test
    void ignoresTheSizeOfWeights() {
        assertThat(ServerPool.of(newScheduler(), 1, 5, 1).picks(9)).isEqualTo("ABCABCABC");
    }

    @Test
    void anActiveConnectionWeighs256Inactive() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1).load("A", 1, 0).load("B", 0, 300);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
        pool.load("B", 0, 256);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).as("tie keeps the first").isSameAs(pool.server("A"));
        pool.load("B", 0, 255);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("B"));
    }

    @Test
    void tiesGoToTheFirstInListOrder() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1, 1).load("A", 2, 0).load("B", 1, 0)
                .load("C", 0, 256).load("D", 1, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("B"));
    }

    @Test
    void quiescedAndOverloadedServersAreNeverChosenEvenIdle() {
        ServerPool pool = ServerPool.of(newScheduler(), 0, 1, 1).overloaded("B", true).load("C", 50, 9);
        assertThat(pool.picks(3)).isEqualTo("CCC");
        pool.overloaded("C", true);
        assertThat(pool.picks(2)).isEqualTo("--");
    }

    @Test
    void anAvoidedServerGivesWayToTheNextLeastLoaded() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1).load("A", 0, 0).load("B", 2, 0).load("C", 1, 0);
        PickContext avoidA = PickContext.EMPTY.retryAvoiding(pool.server("A"));
        assertThat(pool.scheduler().pick(avoidA)).isSameAs(pool.server("C"));
    }
}
