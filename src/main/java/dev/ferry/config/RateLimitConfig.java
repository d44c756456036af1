package dev.ferry.config;

import java.time.Duration;

/**
 * {@code rate_limit:} of an http frontend, a tcp frontend or an http route: limits per key (a client's source
 * network, or a header's or cookie's value). Every limit is off when 0. Immutable.
 *
 * @param key                   {@code key}: {@code source_ip} (default), {@code header:NAME} or {@code cookie:NAME};
 *                              a request without that header or cookie is keyed by its source address
 * @param netmask               {@code netmask}: IPv4 sources are keyed by this many leading bits (default 32)
 * @param netmask6              {@code netmask6}: IPv6 sources by this many (default 128)
 * @param requestsPerSecond     {@code requests_per_second}: the token bucket's refill (http only)
 * @param burst                 {@code burst}: the bucket's size, requests at once from a full bucket (default: the
 *                              rate rounded up, at least 1)
 * @param connectionsPerSecond  {@code connections_per_second}: new connections per key (frontends only)
 * @param connectionsBurst      {@code connections_burst}: that bucket's size (default: the rate rounded up, at least 1)
 * @param concurrentConnections {@code concurrent_connections}: connections open at once per key (frontends only)
 * @param concurrentRequests    {@code concurrent_requests}: requests in flight at once per key (http only)
 * @param status                {@code status}: the answer over a request limit (default 429), with Retry-After
 * @param size                  {@code size}: the most keys tracked at once (default 100000); the least recently used
 *                              go first
 * @param expire                {@code expire}: a key unused this long is forgotten (default 1m)
 */
public record RateLimitConfig(HashKey key, int netmask, int netmask6, double requestsPerSecond, int burst,
                              double connectionsPerSecond, int connectionsBurst, int concurrentConnections,
                              int concurrentRequests, int status, int size, Duration expire) {
    public static final int DEFAULT_STATUS = 429;
    public static final int DEFAULT_SIZE = 100_000;
    public static final Duration DEFAULT_EXPIRE = Duration.ofMinutes(1);

    /** Whether it limits requests (checked per request). */
    public boolean limitsRequests() {
        return requestsPerSecond > 0 || concurrentRequests > 0;
    }

    /** Whether it limits connections (checked at accept). */
    public boolean limitsConnections() {
        return connectionsPerSecond > 0 || concurrentConnections > 0;
    }
}
