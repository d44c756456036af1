package dev.ferry.config;

import java.time.Duration;

/**
 * How long a client connection of an http frontend lives ({@code max_connection_age},
 * {@code max_connection_age_grace}), as gRPC's A9 does on servers: clients pinned to one Ferry by long-lived
 * connections move over time, and a Ferry taken out of a DNS answer or a director empties.
 *
 * @param maxAge the age (each connection's with up to 10% jitter either way) after which HTTP/2 sends GOAWAY and an
 *               HTTP/1 connection's next response says {@code Connection: close}; zero means no limit (the default)
 * @param grace  how long streams under way may still run after the GOAWAY before the connection is closed
 *               (default 30s)
 */
public record ConnectionAge(Duration maxAge, Duration grace) {
    public static final ConnectionAge NONE = new ConnectionAge(Duration.ZERO, Duration.ofSeconds(30));

    public ConnectionAge {
        if (maxAge.isNegative() || grace.isNegative()) {
            throw new IllegalArgumentException("connection age and grace are 0 or more");
        }
    }

    /**
     * One connection's age limit in nanoseconds: {@code maxAge} times a factor drawn uniformly from 0.9 to 1.1 (gRPC's
     * jitter), so connections opened together do not all go away together.
     */
    public long jitteredNanos(java.util.random.RandomGenerator random) {
        return (long) (maxAge.toNanos() * (0.9 + 0.2 * random.nextDouble()));
    }

    /** Whether connections are aged out at all. */
    public boolean limited() {
        return !maxAge.isZero();
    }
}
