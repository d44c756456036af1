package dev.ferry.cluster;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Capped exponential back-off with jitter for reconnecting to etcd: {@code base * 2^attempt}, at most {@code cap},
 * then a random part of up to a fifth taken off, so that many instances losing etcd together do not come back in step.
 * Pure: the caller keeps the attempt count and does the waiting.
 */
final class Backoff {
    private final Duration base;
    private final Duration cap;
    private final RandomGenerator random;

    Backoff(Duration base, Duration cap, RandomGenerator random) {
        this.base = base;
        this.cap = cap;
        this.random = random;
    }

    /** The delay before retry number {@code attempt} (0 = the first retry). */
    Duration delay(int attempt) {
        long ms = base.toMillis() << Math.min(attempt, 20);
        ms = Math.min(ms, cap.toMillis());
        long jitter = ms / 5 == 0 ? 0 : random.nextLong(ms / 5 + 1);
        return Duration.ofMillis(ms - jitter);
    }
}
