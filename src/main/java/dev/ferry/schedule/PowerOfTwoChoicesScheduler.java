package dev.ferry.schedule;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * IPVS {@code twos}: weighted power of two choices (spec §2.9). Two draws {@code r1, r2} are taken uniformly from
 * {@code [0, W]}, {@code W} being the sum of the eligible weights (not overloaded, weight above 0, not avoided); each
 * lands on the first eligible server at which the running sum of weights reaches it (a draw of 0 lands on the first,
 * as the kernel's {@code rand % (W+1)} does). The second server is returned only when it is strictly less loaded per
 * unit of weight ({@code w2*oh1 > w1*oh2}), else the first.
 *
 * <p>Where IPVS walks the list, this class finds both servers through an {@link EligibleWeightIndex} (O(log n) per
 * pick plus O(k log n) for k servers to avoid, O(log n) per load change); for the same draws it returns the server
 * the walk would return. If the index is caught mid-change (a draw finds nothing), the pick falls back to the walk.
 *
 * <p>Threading: lock-free. The random source must be safe to use from every event loop at once
 * ({@link ThreadLocalRandom} by default; tests inject scripted or seeded ones).
 */
public final class PowerOfTwoChoicesScheduler implements Scheduler {
    private static final int[] NONE = new int[0];
    /**
     * Draws from the calling thread's {@link ThreadLocalRandom}. It is looked up on every draw: an instance captured
     * here would use the seed of threads that never initialised theirs, the same for every event loop.
     */
    private static final RandomGenerator PER_THREAD = new RandomGenerator() {
        @Override
        public long nextLong() {
            return ThreadLocalRandom.current().nextLong();
        }

        @Override
        public long nextLong(long bound) {
            return ThreadLocalRandom.current().nextLong(bound);
        }
    };

    private final RandomGenerator random;
    private volatile EligibleWeightIndex index = new EligibleWeightIndex(List.of());

    /** Draws from the calling thread's {@link ThreadLocalRandom}. */
    public PowerOfTwoChoicesScheduler() {
        this(PER_THREAD);
    }

    /** Draws from {@code random}, which must be thread-safe when picks run concurrently. */
    public PowerOfTwoChoicesScheduler(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public void update(Snapshot snapshot) {
        EligibleWeightIndex next = new EligibleWeightIndex(snapshot.servers());
        index = next;
        // A load change that read the old index did so before the line above, so this recount sees it.
        next.refreshAll();
    }

    @Override
    public void loadChanged(Member server) {
        EligibleWeightIndex idx = index;
        int i = idx.positionOf(server);
        if (i >= 0) {
            idx.refresh(i);
        }
    }

    @Override
    public Member pick(PickContext context) {
        EligibleWeightIndex idx = index;
        int[] avoided = avoidedPositions(idx, context.avoid());
        long total = idx.total();
        for (int p : avoided) {
            total -= idx.countedWeight(p);
        }
        if (total <= 0) {
            return total == 0 ? null : walk(idx, context);
        }
        long r1 = random.nextLong(total + 1);
        long r2 = random.nextLong(total + 1);
        int i1 = idx.find(Math.max(r1, 1), avoided, avoided.length);
        int i2 = idx.find(Math.max(r2, 1), avoided, avoided.length);
        if (i1 < 0 || i2 < 0) {
            return walk(idx, context, r1, r2);
        }
        return better(idx.server(i1), idx.server(i2));
    }

    /** Positions of the servers to avoid that belong to {@code idx}, sorted, without duplicates. */
    private static int[] avoidedPositions(EligibleWeightIndex idx, List<Member> avoid) {
        if (avoid.isEmpty()) {
            return NONE;
        }
        int[] positions = new int[avoid.size()];
        int count = 0;
        for (Member s : avoid) {
            int p = idx.positionOf(s);
            if (p >= 0) {
                positions[count++] = p;
            }
        }
        Arrays.sort(positions, 0, count);
        int unique = 0;
        for (int k = 0; k < count; k++) {
            if (unique == 0 || positions[unique - 1] != positions[k]) {
                positions[unique++] = positions[k];
            }
        }
        return unique == positions.length ? positions : Arrays.copyOf(positions, unique);
    }

    /** The second choice only when strictly less loaded per unit of weight. */
    private static Member better(Member choice1, Member choice2) {
        long w1 = choice1.weight();
        long w2 = choice2.weight();
        return w2 * choice1.overhead() > w1 * choice2.overhead() ? choice2 : choice1;
    }

    /** IPVS's walk with fresh draws, for when the index's sums were caught mid-change. */
    private Member walk(EligibleWeightIndex idx, PickContext context) {
        long total = 0;
        for (int i = 0; i < idx.size(); i++) {
            Member s = idx.server(i);
            if (eligible(s, context)) {
                total += s.weight();
            }
        }
        return total == 0 ? null : walk(idx, context, random.nextLong(total + 1), random.nextLong(total + 1));
    }

    /** IPVS's walk: each draw lands where the running sum of eligible weights reaches it. */
    private static Member walk(EligibleWeightIndex idx, PickContext context, long r1, long r2) {
        Member choice1 = null;
        Member choice2 = null;
        for (int i = 0; i < idx.size() && (choice1 == null || choice2 == null); i++) {
            Member s = idx.server(i);
            if (!eligible(s, context)) {
                continue;
            }
            r1 -= s.weight();
            r2 -= s.weight();
            if (choice1 == null && r1 <= 0) {
                choice1 = s;
            }
            if (choice2 == null && r2 <= 0) {
                choice2 = s;
            }
        }
        if (choice1 == null || choice2 == null) {
            // Weights fell under the draws while we walked: settle for the one that landed, if any.
            return choice1 != null ? choice1 : choice2;
        }
        return better(choice1, choice2);
    }

    private static boolean eligible(Member s, PickContext context) {
        return s.weight() > 0 && !s.isOverloaded() && !context.avoids(s);
    }
}
