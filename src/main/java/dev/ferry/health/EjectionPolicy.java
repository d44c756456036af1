package dev.ferry.health;

import dev.ferry.config.OutlierConfig;

/**
 * How long an ejection lasts and how many servers may be out at once: the {@code n}-th ejection in a row lasts
 * {@code n x ejection}, capped at {@link #MAX_MULTIPLIER} times {@code ejection}; every full {@code ejection} a server
 * spends back in service forgives one earlier offence (Envoy's outlier detection, which HAProxy operators will find
 * close to {@code observe layer4} with {@code on-error mark-down}). At most {@code max_ejected_percent} of a backend's
 * servers are out at once, rounded down, so a backend of one server never loses it.
 *
 * <p>Immutable and thread-safe.
 */
public record EjectionPolicy(int consecutiveFailures, long ejectionNanos, int maxEjectedPercent) {
    /** The longest ejection, in multiples of {@code ejection}. */
    public static final int MAX_MULTIPLIER = 10;

    public static EjectionPolicy of(OutlierConfig config) {
        return new EjectionPolicy(config.consecutiveFailures(), config.ejection().toNanos(),
                config.maxEjectedPercent());
    }

    /**
     * The offence count after one more ejection, at most {@link #MAX_MULTIPLIER}.
     *
     * @param earlier          offences counted so far (0 for a first ejection)
     * @param inServiceNanos   how long the server has been back in service since its last ejection ended
     */
    public int nextOffences(int earlier, long inServiceNanos) {
        long forgiven = inServiceNanos / ejectionNanos;
        // Counting past the cap would make forgiveness take longer without making any ejection longer.
        return (int) Math.min(MAX_MULTIPLIER, Math.max(0, earlier - forgiven) + 1);
    }

    /** How long the ejection for the {@code offences}-th offence lasts. */
    public long durationNanos(int offences) {
        long multiplier = Math.min(offences, MAX_MULTIPLIER);
        return multiplier > Long.MAX_VALUE / ejectionNanos ? Long.MAX_VALUE : multiplier * ejectionNanos;
    }

    /** True when one more server may be ejected while {@code ejectedNow} of {@code servers} are out. */
    public boolean mayEject(int ejectedNow, int servers) {
        return (long) (ejectedNow + 1) * 100 <= (long) servers * maxEjectedPercent;
    }
}
