package dev.ferry.config;

import java.time.Duration;

/**
 * {@code queue:} on a backend (HAProxy's backend queue): when every server that could take a request (http) or a new
 * connection (tcp) is at its {@code max_connections}, it waits here, first come first served, for at most
 * {@code timeout}, instead of being refused at once.
 *
 * @param size    the most waiting at once, all event loops together; one more is refused at once (503 / reset)
 * @param timeout the longest wait; past it the request is answered 503 (a tcp connection is reset)
 */
public record QueueConfig(int size, Duration timeout) {
    public static final int DEFAULT_SIZE = 1000;
    public static final int MAX_SIZE = 1_000_000;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);
}
