package dev.ferry.proxy;

import dev.ferry.backend.BackendQueue;
import io.netty.channel.EventLoop;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A Netty event loop as a {@link BackendQueue} sees it: where a queued connection is woken and timed out.
 *
 * <p>Threading: {@link BackendQueue.Loop#execute} from any thread; once the loop shuts down, tasks are dropped (the
 * balancer is stopping and its connections close).
 */
public final class QueueLoops {
    private QueueLoops() {
    }

    public static BackendQueue.Loop of(EventLoop loop) {
        return new BackendQueue.Loop() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void execute(Runnable task) {
                try {
                    loop.execute(task);
                } catch (RejectedExecutionException e) {
                    // shutting down
                }
            }

            @Override
            public Runnable schedule(Runnable task, long delayNanos) {
                try {
                    var f = loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
                    return () -> f.cancel(false);
                } catch (RejectedExecutionException e) {
                    return () -> { };
                }
            }
        };
    }
}
