package dev.ferry.schedule;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * {@code random}: each pick draws a server at random in proportion to its weight, among those that can take the
 * connection (weight above 0, not overloaded, not to be avoided). Loads are ignored.
 *
 * <p>Cost: O(log n) per pick (see {@link WeightedSampler}), O(n) per update. Threading: lock-free; the random source
 * must be safe to use from every event loop at once ({@link ThreadLocalRandom} of the calling thread by default).
 */
public final class WeightedRandomScheduler implements Scheduler {
    private final RandomGenerator random;
    private volatile WeightedSampler sampler = WeightedSampler.EMPTY;

    public WeightedRandomScheduler() {
        this(WeightedSampler.PER_THREAD);
    }

    /** Draws from {@code random}, which must be thread-safe when picks run concurrently. */
    public WeightedRandomScheduler(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public void update(Snapshot snapshot) {
        sampler = new WeightedSampler(snapshot.servers());
    }

    @Override
    public Member pick(PickContext context) {
        WeightedSampler s = sampler;
        int i = s.draw(random, context);
        return i < 0 ? null : s.server(i);
    }
}
