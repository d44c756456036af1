package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** IPVS nq (spec §2.6, §5.2.4–5.2.5). */
class NeverQueueSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new NeverQueueScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Test
    void idleServersFirstThenShortestExpectedDelay() {
        assertThat(ServerPool.of(newScheduler(), 1, 3).picks(16)).isEqualTo("ABBBBBAB" + "BBABBBAB");
        assertThat(ServerPool.of(newScheduler(), 3, 1).picks(16)).isEqualTo("ABAAAAAB" + "AAABAAAB");
    }

    @Test
    void anIdleServerBeatsAnyWeightAndInactiveConnectionsDoNotCount() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 100).load("A", 0, 50).load("B", 3, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("A"));
    }

    @Test
    void theFirstIdleServerWinsWhateverTheWeights() {
        ServerPool pool = ServerPool.of(newScheduler(), 9, 1, 50, 50).load("A", 1, 0).load("B", 4, 0);
        assertThat(pool.scheduler().pick(PickContext.EMPTY)).isSameAs(pool.server("C"));
        PickContext avoidC = PickContext.EMPTY.retryAvoiding(pool.server("C"));
        assertThat(pool.scheduler().pick(avoidC)).isSameAs(pool.server("D"));
    }

    @Test
    void anIdleButQuiescedOrOverloadedServerIsSkipped() {
        ServerPool pool = ServerPool.of(newScheduler(), 0, 1, 1).overloaded("B", true).load("C", 7, 0);
        assertThat(pool.picks(2)).isEqualTo("CC");
        pool.weight("C", 0);
        assertThat(pool.picks(1)).isEqualTo("-");
    }
}
