package dev.ferry.health;

/**
 * The slow-start ramp as a pure function of time: a server that came up at time 0 gets {@code 1/steps} of its weight
 * at once, then {@code k/steps} from {@code k x duration/steps} on, and its full weight from {@code duration} on
 * (the first step is held for two periods so that the ramp ends exactly at {@code duration}).
 *
 * <p>Immutable and thread-safe.
 */
public record SlowStartRamp(long durationNanos, int steps) {
    /** Ten steps: weights are republished every tenth of {@code slow_start}. */
    public static final int DEFAULT_STEPS = 10;

    public SlowStartRamp {
        if (durationNanos <= 0 || steps < 1 || durationNanos > Long.MAX_VALUE / steps) {
            throw new IllegalArgumentException("a ramp needs a positive duration (under " + Long.MAX_VALUE / steps
                    + " ns) and at least one step");
        }
    }

    /** The share of the weight at {@code elapsedNanos} after the server came up, in (0, 1]. */
    public double share(long elapsedNanos) {
        if (elapsedNanos >= durationNanos) {
            return 1.0;
        }
        long step = Math.max(1, stepAt(Math.max(0, elapsedNanos)));
        return (double) step / steps;
    }

    /** True once the ramp has reached the full weight. */
    public boolean isDone(long elapsedNanos) {
        return elapsedNanos >= durationNanos;
    }

    /** Nanoseconds from {@code elapsedNanos} to the next change of {@link #share}; 0 once done. */
    public long untilNextStep(long elapsedNanos) {
        if (isDone(elapsedNanos)) {
            return 0;
        }
        long e = Math.max(0, elapsedNanos);
        // The first change (to 2/steps) comes at two periods: step 1 covers [0, 2 x period).
        long next = Math.max(2, stepAt(e) + 1);
        long at = next >= steps ? durationNanos : ceilDiv(next * durationNanos, steps);
        return Math.max(1, at - e);
    }

    private long stepAt(long elapsedNanos) {
        return elapsedNanos * steps / durationNanos;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
