package dev.ferry.schedule;

/** WeightedRandomScheduler against the shared contract: shares follow the weights 1, 2, 3. */
class WeightedRandomContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return new WeightedRandomScheduler(new java.util.SplittableRandom(21));
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Override
    protected boolean picksKeepConnections() {
        return false;
    }

    /** Tolerance: random draws: a share's sd is at most 0.0065 over 6000 picks; 0.03 is 4.6 sd. */
    @Override
    protected double shareTolerance() {
        return 0.03;
    }
}
