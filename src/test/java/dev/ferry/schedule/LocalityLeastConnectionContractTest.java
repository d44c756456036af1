package dev.ferry.schedule;

/**
 * lblc against the shared contract. The varied contexts draw random destinations, so nearly every pick misses the
 * cache and wlc decides: with connections kept open, shares follow the weights 1, 2, 3.
 */
class LocalityLeastConnectionContractTest extends SchedulerContractTest {
    @Override
    protected Scheduler newScheduler() {
        return new LocalityLeastConnectionScheduler(LocalityOptions.DEFAULT, System::nanoTime);
    }

    @Override
    protected double[] expectedShares() {
        return new double[] {1 / 6.0, 2 / 6.0, 3 / 6.0};
    }

    /** wlc is exact up to the few cache hits of repeated destinations (24 random bits, 6000 picks). */
    @Override
    protected double shareTolerance() {
        return 0.02;
    }
}
