package dev.ferry.config;

import java.time.Duration;

/**
 * Client-side timeouts of a frontend ({@code timeouts:}).
 *
 * @param clientIdle    a client connection with no traffic in either direction for this long is closed
 * @param requestHeader http mode: the whole request head must arrive within this time
 */
public record FrontendTimeouts(Duration clientIdle, Duration requestHeader) {
    public static final FrontendTimeouts DEFAULTS = new FrontendTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(10));
}
