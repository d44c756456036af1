package dev.ferry.health;

import java.util.concurrent.atomic.LongAdder;

/**
 * What Ferry's health checking knows of one server, for the admin API, metrics and the dashboard: the active check's
 * verdict and counts, the last reason it gave, and how often passive health ejected the server.
 *
 * <p>Threading: written by the server's checker (one event loop) and the outlier detector (any event loop); read
 * from any thread. Counters are {@link LongAdder}s; the rest is volatile.
 */
public final class ServerHealth {
    private final LongAdder checksPassed = new LongAdder();
    private final LongAdder checksFailed = new LongAdder();
    private final LongAdder transitions = new LongAdder();
    private final LongAdder ejections = new LongAdder();
    private volatile boolean up = true;
    private volatile String lastReason = "not checked yet";

    /** Active checks that passed so far. */
    public long checksPassed() {
        return checksPassed.sum();
    }

    /** Active checks that failed so far. */
    public long checksFailed() {
        return checksFailed.sum();
    }

    /** How often the active check changed its verdict (up to down or down to up). */
    public long transitions() {
        return transitions.sum();
    }

    /** How often passive health ejected the server. */
    public long ejections() {
        return ejections.sum();
    }

    /** The active check's verdict (true until a check says otherwise, and when no active check runs). */
    public boolean up() {
        return up;
    }

    /** The outcome of the latest check in words, such as "connection refused" or "status 200". */
    public String lastReason() {
        return lastReason;
    }

    void checked(boolean passed, String reason) {
        (passed ? checksPassed : checksFailed).increment();
        lastReason = reason;
    }

    void changed(boolean nowUp) {
        up = nowUp;
        transitions.increment();
    }

    /** No active check runs (any more): the server is taken to be up. */
    void assumeUp() {
        if (!up) {
            changed(true);
        }
        lastReason = "no active check";
    }

    void ejected() {
        ejections.increment();
    }
}
