package dev.ferry.feedback;

/**
 * LVS dynamic feedback's weight step (scheduling spec section 3.3 and 3.4): {@code w <- w + A x cbrt(0.95 - aggregate)},
 * rounded half up, kept within {@code [1, SCALE x configured]} while the server answers; a new weight reaches the
 * scheduler only when it differs from the one there by at least {@code max(1, 5% of it)}.
 *
 * <p>Pure functions; thread-safe.
 */
public final class WeightFormula {
    /** The gain A. */
    public static final double GAIN = 5;
    /** The target aggregate load: the weight stands still here. */
    public static final double TARGET = 0.95;
    /** The upper bound is SCALE times the configured weight. */
    public static final int SCALE = 10;
    /** A change smaller than this share of the weight in the scheduler is not pushed (nor one below 1). */
    public static final double PUSH_THRESHOLD = 0.05;

    private WeightFormula() {
    }

    /** {@code A x cbrt(0.95 - aggregate)}; {@link Math#cbrt} takes negative arguments, unlike C's pow(x, 1/3). */
    public static double delta(double aggregate) {
        return GAIN * Math.cbrt(TARGET - aggregate);
    }

    /**
     * The next weight of a server that answered.
     *
     * @param current    the controller's current weight for the server (0 after it stopped answering)
     * @param aggregate  its aggregate load
     * @param configured the administrator's weight (DEFAULT_WEIGHT), at least 1
     * @return {@code current + delta(aggregate)} rounded half up, within {@code [1, SCALE x configured]}
     */
    public static int next(int current, double aggregate, int configured) {
        long rounded = (long) Math.floor(current + delta(aggregate) + 0.5);
        return (int) Math.max(1, Math.min((long) SCALE * configured, rounded));
    }

    /** True when {@code next} differs from {@code inScheduler} by at least {@code max(1, 5% of inScheduler)}. */
    public static boolean passesThreshold(int inScheduler, int next) {
        return Math.abs(next - inScheduler) >= Math.max(1, PUSH_THRESHOLD * inScheduler);
    }
}
