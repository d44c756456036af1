package dev.ferry.health;

import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link Timeline}: {@link System#nanoTime()} and one Netty executor's timer (the balancer's health
 * thread, which does no I/O, so backend rebuilds never hold up an I/O event loop). Tasks run on that executor; once
 * it shuts down, scheduling is silently dropped (the balancer is stopping).
 */
public final class EventLoopTimeline implements Timeline {
    private final EventExecutor loop;

    public EventLoopTimeline(EventExecutor loop) {
        this.loop = loop;
    }

    /** The executor tasks run on. */
    public EventExecutor loop() {
        return loop;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Scheduled schedule(Runnable task, long delayNanos) {
        if (loop.isShuttingDown()) {
            return () -> { };
        }
        try {
            Future<?> f = loop.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        } catch (RejectedExecutionException e) {
            return () -> { }; // shut down between the check and the call
        }
    }

    @Override
    public void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // shutting down: nothing left to do
        }
    }
}
