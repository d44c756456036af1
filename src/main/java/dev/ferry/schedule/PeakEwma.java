package dev.ferry.schedule;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A server's latency as a peak-sensitive exponentially weighted moving average (Finagle's "peak EWMA"): a sample
 * above the average replaces it at once (so a slowing server is noticed at the first slow response); a lower sample
 * is blended in with weight {@code 1 - exp(-elapsed/decay)}, so the average follows time, not the number of samples.
 * Reading decays the value towards 0 with the same time constant, so a server that stopped getting traffic after a
 * slow spell is tried again.
 *
 * <p>Threading: lock-free; samples are recorded from any event loop (a compare-and-set loop on an immutable state).
 */
public final class PeakEwma {
    /** Finagle's default decay time. */
    public static final long DEFAULT_DECAY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private record State(double nanos, long stamp) {
    }

    private final double decayNanos;
    private final AtomicReference<State> state = new AtomicReference<>();

    public PeakEwma(long decayNanos) {
        if (decayNanos <= 0) {
            throw new IllegalArgumentException("decay must be positive: " + decayNanos);
        }
        this.decayNanos = decayNanos;
    }

    /** Records one latency sample taken at {@code nowNanos} (same clock as reads). Negative samples count as 0. */
    public void record(long sampleNanos, long nowNanos) {
        double sample = Math.max(0, sampleNanos);
        while (true) {
            State old = state.get();
            double next;
            if (old == null || sample > old.nanos()) {
                next = sample;
            } else {
                double w = Math.exp(-Math.max(0, nowNanos - old.stamp()) / decayNanos);
                next = old.nanos() * w + sample * (1 - w);
            }
            if (state.compareAndSet(old, new State(next, nowNanos))) {
                return;
            }
        }
    }

    /** True once a sample was recorded. */
    public boolean isKnown() {
        return state.get() != null;
    }

    /** The average at {@code nowNanos} in nanoseconds, decayed since the last sample; NaN before any sample. */
    public double nanos(long nowNanos) {
        State s = state.get();
        if (s == null) {
            return Double.NaN;
        }
        return s.nanos() * Math.exp(-Math.max(0, nowNanos - s.stamp()) / decayNanos);
    }
}
