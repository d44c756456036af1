package dev.ferry.health;

/**
 * A clock and a way to run something later: Ferry's health thread in production, a hand-driven timeline in tests
 * (so tests walk through time instead of sleeping).
 *
 * <p>Threading: {@link #schedule} and {@link #execute} may be called from any thread and run their task on the
 * timeline's own single thread, so work driven by one timeline needs no locks among itself.
 */
public interface Timeline {
    /** Now, in nanoseconds of an arbitrary origin (as {@link System#nanoTime()}). */
    long nanoTime();

    /**
     * Runs {@code task} once, {@code delayNanos} from now (at once when {@code <= 0}).
     *
     * @return a handle that cancels the task if it has not run yet
     */
    Scheduled schedule(Runnable task, long delayNanos);

    /** Runs {@code task} on the timeline's thread as soon as it can (a hand-driven timeline: at its next advance). */
    default void execute(Runnable task) {
        schedule(task, 0);
    }

    /** A task waiting to run. */
    interface Scheduled {
        /** Stops the task from running; no effect once it ran. */
        void cancel();
    }
}
