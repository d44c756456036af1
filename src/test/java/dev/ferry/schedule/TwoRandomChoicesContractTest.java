package dev.ferry.schedule;

/** TwoRandomChoicesScheduler against the shared contract: shares follow the weights 1, 2, 3. */
class TwoRandomChoicesContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return new TwoRandomChoicesScheduler(new java.util.SplittableRandom(22));
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Override
    protected boolean picksKeepConnections() {
        return true;
    }

    /** Tolerance: with connections kept, the less loaded per weight wins, so shares track the weights closely. */
    @Override
    protected double shareTolerance() {
        return 0.03;
    }
}
