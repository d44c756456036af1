package dev.ferry.proxy.admission;

/**
 * The token bucket as one number (the generic cell rate algorithm of ATM networks, which nginx's limit_req also
 * follows): instead of tokens and a refill time, a key keeps its "theoretical arrival time" (TAT), the time at which
 * its bucket would be full again. An event is allowed when, after it, the bucket would still hold no more than
 * {@code burst} events' worth of debt; so {@code burst} events pass at once from a full bucket, then one per
 * {@code interval}. Pure functions over the caller's state.
 *
 * <p>Threading: stateless; the caller guards the TAT it passes (the key table's stripe lock).
 */
public record TokenBucket(long intervalNanos, long toleranceNanos) {
    /** No bucket: never limits. */
    public static final TokenBucket NONE = new TokenBucket(0, 0);

    /**
     * @param perSecond the refill, events per second (0: no limit)
     * @param burst     the bucket's size, at least 1
     */
    public static TokenBucket of(double perSecond, int burst) {
        if (perSecond <= 0) {
            return NONE;
        }
        long interval = Math.max(1, Math.round(1e9 / perSecond));
        long tolerance = interval > Long.MAX_VALUE / 4 / burst ? Long.MAX_VALUE / 4 : interval * burst;
        return new TokenBucket(interval, tolerance);
    }

    public boolean limits() {
        return intervalNanos > 0;
    }

    /** The TAT of a key never seen: its bucket is full. */
    public long fullAt(long now) {
        return now - toleranceNanos;
    }

    /** The TAT after one more event at {@code now} from the bucket whose TAT is {@code tat}. */
    public long after(long tat, long now) {
        return (tat - now > 0 ? tat : now) + intervalNanos;
    }

    /**
     * How long one more event at {@code now} must wait: 0 when it is allowed now (then the new TAT is
     * {@link #after}), else the nanoseconds until it would be.
     */
    public long waitNanos(long tat, long now) {
        long debt = after(tat, now) - now;
        return debt > toleranceNanos ? debt - toleranceNanos : 0;
    }
}
