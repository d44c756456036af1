package dev.ferry.config;

import java.time.Duration;

/**
 * A backend's {@code stick:} block: a stick table (HAProxy {@code stick-table} with {@code stick on}) that maps a key
 * of each request to the server that served it. Immutable.
 *
 * @param on     what a request is keyed by, as written: {@code source_ip}, {@code header:NAME} or {@code cookie:NAME}
 *               (the {@link HashKey} grammar, without {@code source_ip_port} and {@code uri}); valid once read
 * @param expire how long an entry lives after it was last used
 * @param size   the most entries kept; past it the least recently used go
 */
public record StickConfig(String on, Duration expire, int size) {
    public static final Duration DEFAULT_EXPIRE = Duration.ofMinutes(30);
    public static final int DEFAULT_SIZE = 100_000;
    public static final int MAX_SIZE = 10_000_000;

    /** {@link #on()} parsed. */
    public HashKey key() {
        return HashKey.parse(on);
    }
}
