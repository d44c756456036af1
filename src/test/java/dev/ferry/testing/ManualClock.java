package dev.ferry.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A wall clock moved by hand, for code that takes a {@link Clock} (sticky cookie times, stick-table expiry, layer-4
 * persistence templates). Starts at a fixed instant; {@link #advance} moves it. Any thread.
 */
public final class ManualClock extends Clock {
    private volatile long millis;

    public ManualClock() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    public ManualClock(Instant start) {
        this.millis = start.toEpochMilli();
    }

    public synchronized void advance(Duration d) {
        millis += d.toMillis();
    }

    @Override
    public long millis() {
        return millis;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
