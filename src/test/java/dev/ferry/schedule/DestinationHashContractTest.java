package dev.ferry.schedule;

/** dh against the shared contract: weights are ignored, so three servers share 256 buckets 86/85/85. */
class DestinationHashContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return new DestinationHashScheduler(DestinationHashScheduler.Options.DEFAULT);
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {86 / 256.0, 85 / 256.0, 85 / 256.0};
    }

    /** Random destinations hit buckets uniformly: 6000 picks give a share's sd of about 0.006; 0.03 is 5 sd. */
    @Override
    protected double shareTolerance() {
        return 0.03;
    }
}
