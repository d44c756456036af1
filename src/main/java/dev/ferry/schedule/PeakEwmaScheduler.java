package dev.ferry.schedule;

import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * {@code ewma}: least response time, as Finagle's and Linkerd's "P2C + peak EWMA" balancers do. Two different
 * servers are drawn by weight (as {@code p2c} does); the one with the lower expected cost
 * {@code latency * (active + 1) / weight} wins, where latency is the server's {@link PeakEwma}
 * (fed by the backend as its server answers). Until both have a latency sample, the less loaded per unit of
 * weight wins ({@code overhead/weight}, exact), so new servers are tried and measured. Ties go to the first drawn.
 *
 * <p>Comparing two random candidates instead of scanning all keeps a pick at O(log n), and avoids the herd effect
 * of sending everything to the single fastest server.
 *
 * <p>Cost: O(log n) per pick, O(n) per update. Threading: lock-free; the random source must be safe to use from
 * every event loop at once; {@code nanoTime} must be the clock the latencies were recorded on.
 */
public final class PeakEwmaScheduler implements Scheduler {
    private final RandomGenerator random;
    private final LongSupplier nanoTime;
    private volatile WeightedSampler sampler = WeightedSampler.EMPTY;
    /** Kept as a field so that a pick allocates no lambda. */
    private final WeightedSampler.Preference cheaper = this::cheaper;

    /** Per-thread randomness and {@link System#nanoTime()}, as the servers record latencies. */
    public PeakEwmaScheduler() {
        this(WeightedSampler.PER_THREAD, System::nanoTime);
    }

    public PeakEwmaScheduler(RandomGenerator random, LongSupplier nanoTime) {
        this.random = random;
        this.nanoTime = nanoTime;
    }

    @Override
    public void update(Snapshot snapshot) {
        sampler = new WeightedSampler(snapshot.servers());
    }

    @Override
    public Member pick(PickContext context) {
        return sampler.betterOfTwo(random, context, cheaper);
    }

    /** Whether {@code b} costs strictly less than {@code a}. */
    private boolean cheaper(Member b, Member a) {
        if (a.latency().isKnown() && b.latency().isKnown()) {
            long now = nanoTime.getAsLong();
            double costA = a.latency().nanos(now) * (a.active() + 1.0) * b.weight();
            double costB = b.latency().nanos(now) * (b.active() + 1.0) * a.weight();
            return costB < costA;
        }
        return b.overhead() * a.weight() < a.overhead() * b.weight();
    }
}
