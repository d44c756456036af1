package dev.ferry.admin;

import dev.ferry.backend.BackendQueue;
import dev.ferry.backend.DurationHistogram;

/**
 * A backend's queue in {@code GET /api/v1/status} ({@code queue:}; null without one): the limits, how many wait now,
 * and since start how many waited, were sent to a server, timed out, were refused as the queue was full, or left
 * (their client went); the waits of those sent, as a sum and a count and in buckets as a server's requests are
 * ({@code wait_le_ms} bounds, counts not cumulative, the last for longer ones).
 */
public record QueueStatus(int size, long timeoutMs, int length, long queuedTotal, long dispatchedTotal,
                          long timeoutsTotal, long fullTotal, long abandonedTotal, double waitSecondsSum,
                          long waitCount, double[] waitLeMs, long[] waitCounts) {
    private static final double[] LE_MS = java.util.Arrays.stream(DurationHistogram.BOUNDS_SECONDS)
            .map(s -> s * 1000).toArray();

    static QueueStatus of(BackendQueue q) {
        if (q == null) {
            return null;
        }
        DurationHistogram w = q.waits();
        long[] counts = w.counts();
        return new QueueStatus(q.config().size(), q.config().timeout().toMillis(), q.length(), q.queuedTotal(),
                q.dispatchedTotal(), q.timeoutsTotal(), q.fullTotal(), q.abandonedTotal(), w.sumSeconds(),
                java.util.Arrays.stream(counts).sum(), LE_MS, counts);
    }
}
