package dev.ferry.health;

/**
 * The verdict of an active check over time: an up server goes down after {@code fall} failed checks in a row, a down
 * server comes up after {@code rise} passed checks in a row (HAProxy's {@code rise} and {@code fall}).
 *
 * <p>Not thread-safe: used by one checker on one thread.
 */
public final class RiseFall {
    private final int rise;
    private final int fall;
    private boolean up;
    private int streak;

    public RiseFall(int rise, int fall, boolean up) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be at least 1");
        }
        this.rise = rise;
        this.fall = fall;
        this.up = up;
    }

    /**
     * Counts one check.
     *
     * @return true when this check changed the verdict
     */
    public boolean record(boolean passed) {
        if (passed == up) {
            streak = 0;
            return false;
        }
        streak++;
        if (streak >= (up ? fall : rise)) {
            up = !up;
            streak = 0;
            return true;
        }
        return false;
    }

    public boolean up() {
        return up;
    }
}
