package dev.ferry.logging;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One WARN line per interval for a failure that repeats: the first line goes out, those that follow within the
 * interval are counted, not written, and the next line that goes out says how many were held back ("(and 17,999
 * more like it in the last 10s)"). When the file descriptors run out, every connection fails the same way; without
 * this, thousands of identical lines a second fill the log and hide everything else.
 *
 * <p>One instance per kind of line (e.g. per frontend for "reset client: no server"): what it holds back is always
 * "more like it". Threading: any thread, lock-free; under a race at the interval's edge at most one line goes out.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextLineAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong heldBack = new AtomicLong();

    /** @param interval at most one line per interval */
    public RateLimitedLog(Logger log, Duration interval) {
        this(log, interval, System::nanoTime);
    }

    /** @param nanoTime the clock (tests walk a timeline) */
    public RateLimitedLog(Logger log, Duration interval, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * Logs {@code format} with {@code args} at WARN (SLF4J's {@code {}} placeholders) unless a line went out less
     * than an interval ago.
     *
     * @return true when the line was written
     */
    public boolean warn(String format, Object... args) {
        long now = nanoTime.getAsLong();
        long next = nextLineAt.get();
        if ((next != Long.MIN_VALUE && now - next < 0) || !nextLineAt.compareAndSet(next, now + intervalNanos)) {
            heldBack.incrementAndGet();
            return false;
        }
        long held = heldBack.getAndSet(0);
        if (held == 0) {
            log.warn(format, args);
        } else {
            Object[] more = Arrays.copyOf(args, args.length + 2);
            more[args.length] = String.format("%,d", held);
            more[args.length + 1] = describe(intervalNanos);
            log.warn(format + " (and {} more like it in the last {})", more);
        }
        return true;
    }

    /** Lines held back since the last line that went out. */
    public long heldBack() {
        return heldBack.get();
    }

    private static String describe(long nanos) {
        Duration d = Duration.ofNanos(nanos);
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
