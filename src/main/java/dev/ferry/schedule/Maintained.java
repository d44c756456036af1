package dev.ferry.schedule;

/**
 * A scheduler with periodic housekeeping (lblc and lblcr expire their cache entries). Following architecture rule 8,
 * the work takes "now" and returns when it wants to run next, so tests walk a timeline instead of sleeping.
 *
 * <p>The balancer calls {@link #maintain(long)} on its control thread, at the delays it returns
 * ({@code dev.ferry.runtime.SchedulerHousekeeping}); picks never run it, so no pick pays for a sweep.
 *
 * <p>Threading: may be called from any thread, concurrently with picks; concurrent calls are serialised (a call that
 * finds another one running returns at once).
 */
public interface Maintained {

    /**
     * Runs the housekeeping that is due.
     *
     * @param nowNanos the current time of the scheduler's clock ({@link System#nanoTime()} in production)
     * @return nanoseconds until the next run is due
     */
    long maintain(long nowNanos);
}
