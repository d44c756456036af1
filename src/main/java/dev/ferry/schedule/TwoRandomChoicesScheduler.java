package dev.ferry.schedule;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * {@code p2c}: the power of two choices on least load (Mitzenmacher). Two <em>different</em> servers are drawn at
 * random in proportion to their weights, among those that can take the connection; the one with the lower
 * {@code overhead/weight} wins (compared exactly as {@code oh1*w2} vs {@code oh2*w1}), the first drawn on a tie.
 * Unlike {@code twos} (IPVS, spec §2.9) the two draws never coincide and a pick costs O(log n), not O(n).
 *
 * <p>Cost: O(log n) per pick, O(n) per update. Threading: lock-free; the random source must be safe to use from
 * every event loop at once ({@link ThreadLocalRandom} of the calling thread by default).
 */
public final class TwoRandomChoicesScheduler implements Scheduler {
    private final RandomGenerator random;
    private volatile WeightedSampler sampler = WeightedSampler.EMPTY;

    public TwoRandomChoicesScheduler() {
        this(WeightedSampler.PER_THREAD);
    }

    /** Draws from {@code random}, which must be thread-safe when picks run concurrently. */
    public TwoRandomChoicesScheduler(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public void update(Snapshot snapshot) {
        sampler = new WeightedSampler(snapshot.servers());
    }

    @Override
    public Member pick(PickContext context) {
        return sampler.betterOfTwo(random, context, TwoRandomChoicesScheduler::lessLoaded);
    }

    /** Strictly less loaded per unit of weight, by exact cross-multiplication. */
    private static boolean lessLoaded(Member b, Member a) {
        return b.overhead() * a.weight() < a.overhead() * b.weight();
    }
}
