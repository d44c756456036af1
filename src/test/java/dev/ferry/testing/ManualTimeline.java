package dev.ferry.testing;

import dev.ferry.health.Timeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A {@link Timeline} driven by hand: time stands still until {@link #advance} moves it, running every task that falls
 * due in time order (tasks scheduled by those tasks included). Single-threaded, for tests.
 */
public final class ManualTimeline implements Timeline {
    private static final int MAX_TASKS_PER_ADVANCE = 1_000_000;

    private final class Task implements Scheduled {
        final Runnable body;
        final long due;
        final long order;
        boolean cancelled;

        Task(Runnable body, long due, long order) {
            this.body = body;
            this.due = due;
            this.order = order;
        }

        @Override
        public void cancel() {
            cancelled = true;
            tasks.remove(this);
        }
    }

    private final List<Task> tasks = new ArrayList<>();
    private long now = 1_000_000_000L;
    private long sequence;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Scheduled schedule(Runnable task, long delayNanos) {
        Task t = new Task(task, now + Math.max(0, delayNanos), sequence++);
        tasks.add(t);
        return t;
    }

    /** Moves time forward by {@code d}, running every task due on the way at its own time. */
    public void advance(Duration d) {
        advanceNanos(d.toNanos());
    }

    public void advanceNanos(long nanos) {
        long end = now + nanos;
        for (int i = 0; i < MAX_TASKS_PER_ADVANCE; i++) {
            Task next = tasks.stream().filter(t -> t.due <= end)
                    .min(Comparator.<Task>comparingLong(t -> t.due).thenComparingLong(t -> t.order)).orElse(null);
            if (next == null) {
                now = end;
                return;
            }
            tasks.remove(next);
            now = Math.max(now, next.due);
            next.body.run();
        }
        throw new IllegalStateException("more than " + MAX_TASKS_PER_ADVANCE + " tasks in one advance");
    }

    /** Tasks waiting to run. */
    public int pending() {
        return tasks.size();
    }
}
