package dev.ferry.schedule;

/** ConsistentHashRingScheduler against the shared contract: shares follow the weights 1, 2, 3. */
class ConsistentHashRingContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return new ConsistentHashRingScheduler(ConsistentHashRingScheduler.Options.DEFAULT);
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    @Override
    protected boolean picksKeepConnections() {
        return true;
    }

    /** Tolerance: arcs of 50/100/150 nodes are within a few percent of the weights, and the 125% load cap pulls shares towards them. */
    @Override
    protected double shareTolerance() {
        return 0.05;
    }
}
