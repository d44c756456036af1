package dev.ferry.health;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongUnaryOperator;

/**
 * Runs a step again and again on a {@link Timeline}: each run gets "now" and returns the delay until the next run
 * (architecture rule 8), or {@link #DONE} to stop until {@link #start} is called again.
 *
 * <p>Threading: {@link #start} and {@link #stop} may be called from any thread; the step always runs on the
 * timeline's thread. Steps are not expected to throw; one that does is logged as the bug it is and the task stops.
 */
public final class PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);
    /** Returned by a step that has nothing more to do. */
    public static final long DONE = -1;

    private final Timeline timeline;
    private final LongUnaryOperator step;
    private Timeline.Scheduled next;
    private boolean stopped;

    /** @param step takes now (nanoseconds) and returns the delay to its next run in nanoseconds, or {@link #DONE} */
    public PeriodicTask(Timeline timeline, LongUnaryOperator step) {
        this.timeline = timeline;
        this.step = step;
    }

    /** (Re)schedules the next run {@code delayNanos} from now, replacing a run already scheduled. */
    public synchronized void start(long delayNanos) {
        stopped = false;
        if (next != null) {
            next.cancel();
        }
        next = timeline.schedule(this::run, delayNanos);
    }

    /** Cancels the next run; a run in progress finishes but schedules nothing. */
    public synchronized void stop() {
        stopped = true;
        if (next != null) {
            next.cancel();
            next = null;
        }
    }

    private void run() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            next = null;
        }
        long delay;
        try {
            delay = step.applyAsLong(timeline.nanoTime());
        } catch (RuntimeException e) {
            log.error("periodic task {} failed and stopped: {}", step, e.toString());
            log.debug("stack trace", e);
            return;
        }
        synchronized (this) {
            if (!stopped && delay != DONE && next == null) {
                next = timeline.schedule(this::run, delay);
            }
        }
    }
}
