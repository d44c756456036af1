package dev.ferry.schedule;

import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Prefix sums of the weights of one snapshot's eligible servers (weight above 0, not overloaded) in list order: a
 * Fenwick tree, so that a weighted draw lands on its server in O(log n) instead of IPVS's O(n) walk (used by twos).
 *
 * <p>Each position keeps the weight it currently counts as {@code (stamp << 32) | weight} (0 while ineligible). A
 * refresh reads that word, recomputes the weight from the server's live state, and compare-and-sets it with the
 * stamp incremented; only the thread whose CAS succeeds adds the difference to the Fenwick cells, so the cells
 * always converge to the sum of the counted weights (atomic adds commute). Refreshing up to twice per change makes
 * the last counted weight one computed after the change (the argument of {@link LoadIndexTree}). While changes are
 * in flight, sums may be briefly inconsistent: a lookup that finds nothing says so, and the caller falls back to a
 * scan.
 */
final class EligibleWeightIndex {
    private static final long WEIGHT_MASK = 0xFFFF_FFFFL;

    private final Member[] servers;
    private final AtomicLongArray counted;
    /**
     * Fenwick cells, 1-based: cell j holds the sum over positions (j - lowbit(j), j]. Sized to a power of two, the
     * positions past the last server weighing 0, so that a descent needs no bounds test.
     */
    private final AtomicLongArray cells;
    private final int span;

    EligibleWeightIndex(List<? extends Member> servers) {
        this.servers = servers.toArray(new Member[0]);
        int n = this.servers.length;
        this.counted = new AtomicLongArray(n);
        this.span = n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
        this.cells = new AtomicLongArray(span + 1);
        long[] sums = new long[span + 1];
        for (int j = 1; j <= span; j++) {
            if (j <= n) {
                int w = countable(this.servers[j - 1]);
                counted.set(j - 1, w);
                sums[j] += w;
            }
            int parent = j + (j & -j);
            if (parent <= span) {
                sums[parent] += sums[j];
            }
            cells.set(j, sums[j]);
        }
    }

    private static int countable(Member s) {
        int w = s.weight();
        return w > 0 && !s.isOverloaded() ? w : 0;
    }

    int size() {
        return servers.length;
    }

    Member server(int position) {
        return servers[position];
    }

    /** The position of {@code server} in this index, or -1 when it is not one of its servers. */
    int positionOf(Member server) {
        int i = server.index();
        return i >= 0 && i < servers.length && servers[i] == server ? i : -1;
    }

    /** The weight position {@code i} counts now (0 while ineligible). */
    int countedWeight(int i) {
        return (int) (counted.get(i) & WEIGHT_MASK);
    }

    /** The sum of the eligible weights. */
    long total() {
        return cells.get(span);
    }

    /** Recounts position {@code i} after its server's weight, flag or counters changed. */
    void refresh(int i) {
        if (!recount(i)) {
            recount(i);
        }
    }

    /** Recounts every position: catches changes that were reported to an older index. O(n log n). */
    void refreshAll() {
        for (int i = 0; i < servers.length; i++) {
            refresh(i);
        }
    }

    private boolean recount(int i) {
        long old = counted.get(i);
        int weight = countable(servers[i]);
        long next = (((old >>> 32) + 1) << 32) | weight;
        if (!counted.compareAndSet(i, old, next)) {
            return false;
        }
        long delta = weight - (old & WEIGHT_MASK);
        if (delta != 0) {
            for (int j = i + 1; j <= span; j += j & -j) {
                cells.addAndGet(j, delta);
            }
        }
        return true;
    }

    /**
     * The first position whose cumulative eligible weight, skipping the {@code avoided} positions (sorted
     * ascending), reaches {@code target >= 1}; -1 when none does (only while sums are changing underneath).
     */
    int find(long target, int[] avoided, int avoidedCount) {
        long skipped = 0;
        for (int k = 0; k < avoidedCount; k++) {
            int i = lowerBound(target + skipped);
            if (i < avoided[k]) {
                return i;
            }
            // The avoided position lies before the answer: its weight must not count towards the target.
            skipped += countedWeight(avoided[k]);
        }
        int i = lowerBound(target + skipped);
        return i < servers.length ? i : -1;
    }

    /** The smallest position i with sum(0..i) >= target, or a position past the last server when there is none. */
    private int lowerBound(long target) {
        if (cells.get(span) < target) {
            return span;
        }
        int pos = 0;
        long remaining = target;
        for (int step = span >>> 1; step > 0; step >>>= 1) {
            long cell = cells.get(pos + step);
            // Written as selects rather than a branch: the direction is a coin toss for random targets.
            boolean right = cell < remaining;
            remaining -= right ? cell : 0;
            pos += right ? step : 0;
        }
        return pos;
    }
}
