package dev.ferry.testing;

import dev.ferry.health.Timeline;
import io.netty.util.concurrent.EventExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A clock driven by hand for code that runs on event loops (the proxy path): one time for all, a {@link Timeline}
 * per event loop whose tasks run on that loop. Time stands still until {@link #advance} moves it; every task that
 * falls due on the way runs, in time order, on its own loop, and {@link #advance} waits for each (so when it
 * returns, what those tasks did on their loops has been done; what it sent over a socket may still be on its way).
 *
 * <p>Threading: {@link #advance} from a test thread (never from an event loop); the timelines from any thread.
 */
public final class ManualLoopClock {
    private static final int MAX_TASKS_PER_ADVANCE = 100_000;

    private final class Task implements Timeline.Scheduled {
        final Runnable body;
        final EventExecutor loop;
        final long due;
        final long order;

        Task(Runnable body, EventExecutor loop, long due, long order) {
            this.body = body;
            this.loop = loop;
            this.due = due;
            this.order = order;
        }

        @Override
        public void cancel() {
            synchronized (ManualLoopClock.this) {
                tasks.remove(this);
            }
        }
    }

    private final List<Task> tasks = new ArrayList<>();
    private volatile long now = 1_000_000_000L;
    private long sequence;

    /** The timeline of {@code loop}: this clock's time, tasks run on {@code loop}. */
    public Timeline on(EventExecutor loop) {
        return new Timeline() {
            @Override
            public long nanoTime() {
                return now;
            }

            @Override
            public Scheduled schedule(Runnable task, long delayNanos) {
                synchronized (ManualLoopClock.this) {
                    Task t = new Task(task, loop, now + Math.max(0, delayNanos), sequence++);
                    tasks.add(t);
                    return t;
                }
            }
        };
    }

    public long nanoTime() {
        return now;
    }

    /** Moves time forward by {@code d}, running every task due on the way at its own time, on its own loop. */
    public void advance(Duration d) {
        long end = now + d.toNanos();
        for (int i = 0; i < MAX_TASKS_PER_ADVANCE; i++) {
            Task next;
            synchronized (this) {
                next = tasks.stream().filter(t -> t.due <= end)
                        .min(Comparator.<Task>comparingLong(t -> t.due).thenComparingLong(t -> t.order))
                        .orElse(null);
                if (next == null) {
                    now = end;
                    return;
                }
                tasks.remove(next);
                now = Math.max(now, next.due);
            }
            next.loop.submit(next.body).syncUninterruptibly();
        }
        throw new IllegalStateException("more than " + MAX_TASKS_PER_ADVANCE + " tasks in one advance");
    }

    /** Tasks waiting to run. */
    public synchronized int pending() {
        return tasks.size();
    }
}
