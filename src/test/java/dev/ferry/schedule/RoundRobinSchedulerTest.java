package dev.ferry.schedule;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Exact sequences of IPVS rr (spec §2.1, §5.1.1–5.1.2). */
class RoundRobinSchedulerTest extends SchedulerContractTest {

    @Override
    protected Scheduler newScheduler() {
        return new RoundRobinScheduler();
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0};
    }

    @Test
    void cyclesThroughEveryServerInListOrder() {
        assertThat(ServerPool.of(newScheduler(), 1, 1, 1).picks(9)).isEqualTo("ABCABCABC");
    }

    @Test
    void skipsAQuiescedServer() {
        assertThat(ServerPool.of(newScheduler(), 1, 0, 1).picks(6)).isEqualTo("ACACAC");
    }

    @Test
    void ignoresTheSizeOfWeights() {
        assertThat(ServerPool.of(newScheduler(), 5, 1, 100).picks(6)).isEqualTo("ABCABC");
    }

    @Test
    void skipsAnOverloadedServerUntilItsFlagClears() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1).overloaded("B", true);
        assertThat(pool.picks(4)).isEqualTo("ACAC");
        pool.overloaded("B", false);
        assertThat(pool.picks(6)).isEqualTo("ABCABC");
    }

    @Test
    void removingTheServerUnderTheCursorContinuesWithItsSuccessor() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1);
        assertThat(pool.picks(2)).isEqualTo("AB");
        pool.remove("B");
        assertThat(pool.picks(4)).isEqualTo("CACA");
    }

    @Test
    void removingTheFirstServerUnderTheCursorRestartsFromTheHead() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1);
        assertThat(pool.picks(1)).isEqualTo("A");
        pool.remove("A");
        assertThat(pool.picks(4)).isEqualTo("BCBC");
    }

    @Test
    void removingTheLastServerUnderTheCursorWrapsToTheHead() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1);
        assertThat(pool.picks(3)).isEqualTo("ABC");
        pool.remove("C");
        assertThat(pool.picks(4)).isEqualTo("ABAB");
    }

    @Test
    void removingTheCursorAndItsPredecessorTogetherFallsBackToTheNearestSurvivor() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1, 1);
        assertThat(pool.picks(3)).isEqualTo("ABC");
        pool.remove("B").remove("C");
        assertThat(pool.picks(4)).isEqualTo("DADA");
    }

    @Test
    void removingAnotherServerKeepsTheCursor() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1, 1);
        assertThat(pool.picks(2)).isEqualTo("AB");
        pool.remove("A");
        assertThat(pool.picks(5)).isEqualTo("CDBCD");
    }

    @Test
    void anAddedServerJoinsAtTheEndOfTheCycle() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1);
        assertThat(pool.picks(2)).isEqualTo("AB");
        pool.add("D", 1);
        assertThat(pool.picks(8)).isEqualTo("CDABCDAB");
    }

    @Test
    void theCursorsOwnServerIsTheLastCandidate() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1);
        assertThat(pool.picks(2)).isEqualTo("AB");
        pool.weight("A", 0).weight("C", 0);
        assertThat(pool.picks(3)).isEqualTo("BBB");
    }

    @Test
    void anAvoidedServerIsSkippedAndTheCursorMovesPastIt() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1);
        PickContext avoidB = PickContext.EMPTY.retryAvoiding(pool.server("B"));
        assertThat(pool.picks(4, avoidB)).isEqualTo("ACAC");
        assertThat(pool.picks(3)).isEqualTo("ABC");
    }

    @Test
    void noneWhenEveryServerIsAvoidedAndTheCursorStays() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1);
        assertThat(pool.picks(1)).isEqualTo("A");
        PickContext avoidAll = PickContext.EMPTY.retryAvoiding(pool.server("A")).retryAvoiding(pool.server("B"));
        assertThat(pool.picks(2, avoidAll)).isEqualTo("--");
        assertThat(pool.picks(3)).isEqualTo("BAB");
    }

    @Test
    void noneWhenEveryServerIsQuiescedOrOverloaded() {
        ServerPool pool = ServerPool.of(newScheduler(), 0, 1, 0).overloaded("B", true);
        assertThat(pool.picks(3)).isEqualTo("---");
    }
}
