package dev.ferry.runtime;

import dev.ferry.backend.Backend;
import dev.ferry.health.PeriodicTask;
import dev.ferry.health.Timeline;
import dev.ferry.schedule.Maintained;

import java.util.concurrent.TimeUnit;

/**
 * Runs the periodic work of a backend's scheduler (lblc and lblcr expire their cache on the kernel's 60-second
 * timer) on the balancer's control thread, so that no pick ever pays for it. The scheduler is read afresh on every
 * run, since a reload may replace it; the task wakes at the delay the scheduler asks for, and at least every
 * {@link #POLL} so that a replacement scheduler's first tick is not missed by more than that.
 *
 * <p>Threading: {@link #start} and {@link #stop} from any thread; the work runs on the timeline's thread.
 */
final class SchedulerHousekeeping {
    /** The longest sleep between two looks at the backend's scheduler. */
    static final long POLL = TimeUnit.SECONDS.toNanos(1);

    private final PeriodicTask task;

    SchedulerHousekeeping(Backend backend, Timeline timeline) {
        this.task = new PeriodicTask(timeline, now -> step(backend, now));
    }

    static long step(Backend backend, long now) {
        if (backend.scheduler() instanceof Maintained maintained) {
            return Math.max(0, Math.min(POLL, maintained.maintain(now)));
        }
        return POLL;
    }

    void start() {
        task.start(0);
    }

    void stop() {
        task.stop();
    }
}
