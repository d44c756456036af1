package dev.ferry.backend;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A server's HTTP requests: how many ended with each status class, and how long they took (from the request head's
 * arrival to the end of the response). Requests are counted on the server of their last attempt; those that ended
 * without a status (the client left, the connection broke before a response) count as {@code other}.
 *
 * <p>Threading: {@link #record(int, long)} from any event loop; lock-free.
 */
public final class RequestStats {
    /** The status classes, in the order of {@link #byClass()}. */
    public static final List<String> CLASSES = List.of("1xx", "2xx", "3xx", "4xx", "5xx", "other");

    private final LongAdder[] byClass = new LongAdder[CLASSES.size()];
    private final DurationHistogram durations = new DurationHistogram();

    public RequestStats() {
        for (int i = 0; i < byClass.length; i++) {
            byClass[i] = new LongAdder();
        }
    }

    /** Records a request that ended with {@code status} (0 when none was sent) after {@code nanos}. */
    public void record(int status, long nanos) {
        byClass[classIndex(status)].increment();
        durations.record(nanos);
    }

    private static int classIndex(int status) {
        return status >= 100 && status <= 599 ? status / 100 - 1 : CLASSES.size() - 1;
    }

    /** Requests that ended with status class {@code codeClass} (one of {@link #CLASSES}). */
    public long count(String codeClass) {
        int i = CLASSES.indexOf(codeClass);
        return i < 0 ? 0 : byClass[i].sum();
    }

    /** Counts in the order of {@link #CLASSES}. */
    public long[] byClass() {
        long[] c = new long[byClass.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = byClass[i].sum();
        }
        return c;
    }

    public long total() {
        long t = 0;
        for (LongAdder a : byClass) {
            t += a.sum();
        }
        return t;
    }

    /** How long the requests took. */
    public DurationHistogram durations() {
        return durations;
    }
}
