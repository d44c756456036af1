package dev.ferry.health;

import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link Timeline}: {@link System#nanoTime()} and one Netty event loop's timer. Tasks run on that
 * loop; once the loop shuts down, scheduling is silently dropped (the balancer is stopping).
 */
public final class EventLoopTimeline implements Timeline {
    private final EventExecutor loop;

    public EventLoopTimeline(EventExecutor loop) {
        this.loop = loop;
    }

    /** The event loop tasks run on. */
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
        Future<?> f = loop.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }
}
