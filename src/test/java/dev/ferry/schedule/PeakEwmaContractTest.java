package dev.ferry.schedule;

/** PeakEwmaScheduler against the shared contract: shares follow the weights 1, 2, 3. */
class PeakEwmaContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return new PeakEwmaScheduler(new java.util.SplittableRandom(23), System::nanoTime);
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Override
    protected boolean picksKeepConnections() {
        return true;
    }

    /** Tolerance: no latencies are recorded, so least connections on two choices decides, tracking the weights. */
    @Override
    protected double shareTolerance() {
        return 0.03;
    }
}
