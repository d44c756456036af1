package dev.ferry.config;

import java.time.Duration;
import java.util.Optional;

/**
 * A backend's {@code resolver:}: how servers named by DNS ({@link ServerDiscovery}) are looked up.
 *
 * @param nameserver the DNS server asked; empty = the system's name servers (/etc/resolv.conf)
 * @param refresh    the longest time between two lookups of a name; an answer's TTL, when shorter, brings the next
 *                   lookup forward (never sooner than 1s after the last)
 * @param timeout    how long one query may take before it counts as failed
 */
public record ResolverConfig(Optional<HostPort> nameserver, Duration refresh, Duration timeout) {
    public static final ResolverConfig DEFAULTS = new ResolverConfig(Optional.empty(), Duration.ofSeconds(30),
            Duration.ofSeconds(2));
}
