package dev.ferry.schedule;

/** mh against the shared contract: weights 1, 2, 3 hold 683/1364/2046 of the 4093 slots. */
class MaglevContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return new MaglevScheduler(MaglevScheduler.Options.DEFAULT);
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {683 / 4093.0, 1364 / 4093.0, 2046 / 4093.0};
    }

    /** Random keys hit slots uniformly: a share's sd is at most 0.0065 over 6000 picks; 0.03 is 4.6 sd. */
    @Override
    protected double shareTolerance() {
        return 0.03;
    }
}
