package dev.ferry.backend;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A histogram of durations over fixed buckets (Prometheus' classic histogram, with bounds from 0.5 ms to 60 s):
 * recording is a search over 16 bounds and two {@link LongAdder} increments, reading sums them, so it can sit on
 * the request path.
 *
 * <p>Threading: {@link #record(long)} from any thread, lock-free; reads see each bucket's count at some moment during
 * the read (a scrape may see a request in {@link #count()} a moment before it is in its bucket).
 */
public final class DurationHistogram {
    /** Upper bounds of the buckets, in seconds; a last, unbounded bucket (+Inf) follows. */
    public static final double[] BOUNDS_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
            2.5, 5, 10, 30, 60};
    private static final long[] BOUNDS_NANOS = Arrays.stream(BOUNDS_SECONDS)
            .mapToLong(s -> Math.round(s * TimeUnit.SECONDS.toNanos(1))).toArray();

    private final LongAdder[] buckets = new LongAdder[BOUNDS_NANOS.length + 1];
    private final LongAdder sumNanos = new LongAdder();

    public DurationHistogram() {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** Records one duration (negative values count as 0). */
    public void record(long nanos) {
        long n = Math.max(0, nanos);
        int i = Arrays.binarySearch(BOUNDS_NANOS, n);
        // A value equal to a bound belongs to that bound's bucket (le = "less or equal").
        buckets[i >= 0 ? i : -i - 1].increment();
        sumNanos.add(n);
    }

    /** The count of each bucket (not cumulative), {@code BOUNDS_SECONDS.length + 1} of them, the last one +Inf. */
    public long[] counts() {
        long[] c = new long[buckets.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = buckets[i].sum();
        }
        return c;
    }

    public long count() {
        return Arrays.stream(counts()).sum();
    }

    public double sumSeconds() {
        return sumNanos.sum() / 1e9;
    }
}
