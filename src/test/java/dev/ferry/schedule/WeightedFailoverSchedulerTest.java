package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** IPVS fo (spec §2.7, §5.3.1–5.3.2). */
class WeightedFailoverSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new WeightedFailoverScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {0, 0, 1};
    }

    @Test
    void theFirstOfTheHighestWeightsTakesEverythingWhateverTheLoad() {
        ServerPool pool = ServerPool.of(newScheduler(), 5, 10, 10);
        assertThat(pool.picks(6)).isEqualTo("BBBBBB");
        pool.load("B", 100_000, 100_000);
        assertThat(pool.picks(3)).isEqualTo("BBB");
    }

    @Test
    void failsOverInWeightOrder() {
        ServerPool pool = ServerPool.of(newScheduler(), 5, 10, 10).overloaded("B", true);
        assertThat(pool.picks(2)).isEqualTo("CC");
        pool.overloaded("B", false).weight("B", 0).weight("C", 0);
        assertThat(pool.picks(2)).isEqualTo("AA");
        pool.weight("A", 0);
        assertThat(pool.picks(2)).isEqualTo("--");
    }

    @Test
    void anAvoidedServerHandsOverToTheNextWeight() {
        ServerPool pool = ServerPool.of(newScheduler(), 5, 10, 7);
        PickContext avoidB = PickContext.EMPTY.retryAvoiding(pool.server("B"));
        assertThat(pool.picks(2, avoidB)).isEqualTo("CC");
    }
}
