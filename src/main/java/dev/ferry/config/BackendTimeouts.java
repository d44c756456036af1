package dev.ferry.config;

import java.time.Duration;

/**
 * Server-side timeouts of a backend ({@code timeouts:}).
 *
 * @param connect    a connection attempt to a server fails after this long (then the next server is tried)
 * @param serverIdle a server connection with no traffic in either direction for this long is closed
 * @param response   http: the first response byte must come within this time after the request was sent
 */
public record BackendTimeouts(Duration connect, Duration serverIdle, Duration response) {
    public static final BackendTimeouts DEFAULTS =
            new BackendTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(60), Duration.ofSeconds(30));
}
