package dev.ferry.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Draws servers at random in proportion to their weights, for the modern schedulers. Built once per snapshot over the
 * servers with weight above 0 (cumulative weights, binary search: O(log n) per draw).
 *
 * <p>Servers that cannot take a connection now (overloaded, or to be avoided by this pick) are rejected and drawn
 * again, which keeps the draw exactly proportional among the rest; after {@value #DRAWS} rejections in a row (most
 * of the weight is unavailable) a scan from a random position takes the first that can, O(n) in that case only.
 *
 * <p>Immutable; safe from any thread.
 */
final class WeightedSampler {
    static final WeightedSampler EMPTY = new WeightedSampler(List.of());
    /**
     * Each call uses the calling thread's {@link java.util.concurrent.ThreadLocalRandom}: an instance obtained once
     * and shared must not be used from other threads (its seed lives in the thread that asks).
     */
    static final RandomGenerator PER_THREAD = () -> java.util.concurrent.ThreadLocalRandom.current().nextLong();
    private static final int DRAWS = 8;

    private final Member[] servers;
    /** {@code cumulative[i]} = sum of the weights of servers 0..i. */
    private final long[] cumulative;

    WeightedSampler(List<? extends Member> snapshotServers) {
        List<Member> weighted = new ArrayList<>(snapshotServers.size());
        for (Member s : snapshotServers) {
            if (s.weight() > 0) {
                weighted.add(s);
            }
        }
        servers = weighted.toArray(new Member[0]);
        cumulative = new long[servers.length];
        long sum = 0;
        for (int i = 0; i < servers.length; i++) {
            sum += servers[i].weight();
            cumulative[i] = sum;
        }
    }

    int size() {
        return servers.length;
    }

    Member server(int i) {
        return servers[i];
    }

    /** A server that can take the connection, drawn by weight; -1 when none can. */
    /** Decides between two candidates: true when {@code second} should win over {@code first}. */
    @FunctionalInterface
    interface Preference {
        boolean prefers(Member second, Member first);
    }

    /**
     * Power of two choices: two different weighted draws, the second kept only when {@code preference} says it
     * beats the first; with a single eligible server, that one; null when none is eligible.
     */
    Member betterOfTwo(RandomGenerator random, PickContext context, Preference preference) {
        int first = draw(random, context);
        if (first < 0) {
            return null;
        }
        int second = draw(random, context, first);
        Member a = server(first);
        if (second < 0) {
            return a;
        }
        Member b = server(second);
        return preference.prefers(b, a) ? b : a;
    }

    int draw(RandomGenerator random, PickContext context) {
        return draw(random, context, -1);
    }

    /**
     * As {@link #draw(RandomGenerator, PickContext)} but never {@code excluded} (a position from an earlier draw, or
     * -1): the others are drawn in proportion to their weights.
     */
    int draw(RandomGenerator random, PickContext context, int excluded) {
        int n = servers.length;
        if (n == 0 || (n == 1 && excluded == 0)) {
            return -1;
        }
        long total = cumulative[n - 1];
        long excludedWeight = excluded < 0 ? 0 : weightAt(excluded);
        long excludedStart = excluded < 0 ? 0 : cumulative[excluded] - excludedWeight;
        for (int attempt = 0; attempt < DRAWS; attempt++) {
            long r = random.nextLong(total - excludedWeight);
            if (excluded >= 0 && r >= excludedStart) {
                r += excludedWeight; // skip the excluded server's range
            }
            int i = indexOf(r);
            if (Availability.canTake(servers[i], context)) {
                return i;
            }
        }
        int start = random.nextInt(n);
        for (int k = 0; k < n; k++) {
            int i = start + k < n ? start + k : start + k - n;
            if (i != excluded && Availability.canTake(servers[i], context)) {
                return i;
            }
        }
        return -1;
    }

    private long weightAt(int i) {
        return i == 0 ? cumulative[0] : cumulative[i] - cumulative[i - 1];
    }

    /** The first position whose cumulative weight exceeds {@code r}. */
    private int indexOf(long r) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > r) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
