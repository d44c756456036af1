package dev.ferry.backend;

import java.util.concurrent.atomic.LongAdder;

/**
 * How a backend's sticky cookie and stick table placed its requests, counted on each request's first try (a retry
 * after a failure is not counted again): sent to the server the cookie named ({@link Outcome#COOKIE}) or the stick
 * table held ({@link Outcome#TABLE}); moved to the scheduler's pick because that server could not take it (down,
 * ejected, in maintenance, full: {@link Outcome#MOVED}); or scheduled because the request named no server (no
 * cookie or entry; one that is forged, expired, of another key or of a removed server: {@link Outcome#SCHEDULED}).
 * Metric
 * {@code ferry_sticky_requests_total{backend,outcome}}; the backend keeps it across reloads.
 *
 * <p>Threading: any event loop counts, lock-free; readers see a sum that may lag by a request.
 */
public final class StickinessStats {
    /** Where a request went and why; {@link #label()} is the metric's {@code outcome}. */
    public enum Outcome {
        COOKIE("cookie"), TABLE("table"), MOVED("moved"), SCHEDULED("scheduled");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final LongAdder[] counts = new LongAdder[Outcome.values().length];

    StickinessStats() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void count(Outcome outcome) {
        counts[outcome.ordinal()].increment();
    }

    public long total(Outcome outcome) {
        return counts[outcome.ordinal()].sum();
    }
}
