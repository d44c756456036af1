package dev.ferry.schedule;

import java.util.Map;

/** sh against the shared contract: weights 1, 2, 3 hold 43/86/127 of the 256 buckets (runs ABBCCC, then ABBC). */
class SourceHashContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return Schedulers.create(new dev.ferry.config.SchedulerConfig("sh", Map.of()));
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {43 / 256.0, 86 / 256.0, 127 / 256.0};
    }

    /** Random client addresses hit buckets uniformly: a share's sd is at most 0.0065 over 6000 picks; 0.03 is 4.6 sd. */
    @Override
    protected double shareTolerance() {
        return 0.03;
    }
}
