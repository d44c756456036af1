package dev.ferry.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One entry of {@code backends:}: a pool of servers with its scheduler and policies.
 *
 * @param name         unique among backends
 * @param scheduler    the scheduling algorithm and its options ({@code scheduler: wlc} or a map with {@code name})
 * @param hashKey      what hashing schedulers hash (key {@code hash_key}), default source_ip
 * @param servers      at least one, names unique within the backend
 * @param healthCheck  active check; empty = servers assumed up
 * @param outlier      passive health; empty = off
 * @param slowStart    weight ramp after a server comes up; zero = off (key {@code slow_start})
 * @param feedback     LVS dynamic feedback; empty = off (also when the file says {@code enabled: false}, so a present
 *                     value always has {@code enabled()} true)
 * @param retries      further servers tried when connecting fails (default 2)
 * @param timeouts     server-side timeouts
 * @param tcpKeepalive SO_KEEPALIVE settings for connections to servers and from clients (key {@code tcp_keepalive})
 * @param resolver     how servers named by DNS are looked up (defaults when the backend has none)
 * @param protocol     what http frontends speak to the servers (key {@code protocol}; a server may say otherwise)
 * @param maxConnectionAge http: connections to servers older than this take no new request and close once idle
 *                     (key {@code max_connection_age}); zero = no limit
 * @param http2        HTTP/2 connection pools ({@code protocol: h2 | h2c})
 * @param tls          TLS to the servers (key {@code tls}; a server's own {@code tls:} goes over it); empty = plain TCP
 * @param queue        where requests and new connections wait while every server is at its {@code max_connections};
 *                     empty = no queue (they are refused at once)
 * @param allBackups   with {@code backup: true} servers: while no primary server is usable, all usable backups share
 *                     the traffic (key {@code allbackups}, HAProxy's {@code option allbackups}); false = the first
 */
public record BackendConfig(String name, SchedulerConfig scheduler, String hashKey, List<ServerConfig> servers,
                            Optional<HealthCheckConfig> healthCheck, Optional<OutlierConfig> outlier,
                            Duration slowStart, Optional<FeedbackConfig> feedback, int retries,
                            BackendTimeouts timeouts, Optional<KeepaliveConfig> tcpKeepalive,
                            ResolverConfig resolver, UpstreamProtocol protocol, Duration maxConnectionAge,
                            UpstreamHttp2Config http2, Optional<UpstreamTlsConfig> tls,
                            Optional<QueueConfig> queue, boolean allBackups) {
    public static final int DEFAULT_RETRIES = 2;
    public static final String DEFAULT_HASH_KEY = "source_ip";

    public BackendConfig {
        servers = List.copyOf(servers);
    }

    /** A backend speaking plain TCP (no TLS) to its servers, without a queue, whose backups take over one at a time. */
    public BackendConfig(String name, SchedulerConfig scheduler, String hashKey, List<ServerConfig> servers,
                         Optional<HealthCheckConfig> healthCheck, Optional<OutlierConfig> outlier,
                         Duration slowStart, Optional<FeedbackConfig> feedback, int retries,
                         BackendTimeouts timeouts, Optional<KeepaliveConfig> tcpKeepalive,
                         ResolverConfig resolver, UpstreamProtocol protocol, Duration maxConnectionAge,
                         UpstreamHttp2Config http2) {
        this(name, scheduler, hashKey, servers, healthCheck, outlier, slowStart, feedback, retries, timeouts,
                tcpKeepalive, resolver, protocol, maxConnectionAge, http2, Optional.empty(), Optional.empty(), false);
    }

    /** Whether some server speaks TLS: the backend's {@code tls:} or a server's own. */
    public boolean hasTls() {
        return tls.isPresent() || servers.stream().anyMatch(s -> s.tls().isPresent());
    }

    /** A backend speaking HTTP/1.1 to its servers, with no connection age limit. */
    public BackendConfig(String name, SchedulerConfig scheduler, String hashKey, List<ServerConfig> servers,
                         Optional<HealthCheckConfig> healthCheck, Optional<OutlierConfig> outlier,
                         Duration slowStart, Optional<FeedbackConfig> feedback, int retries,
                         BackendTimeouts timeouts, Optional<KeepaliveConfig> tcpKeepalive, ResolverConfig resolver) {
        this(name, scheduler, hashKey, servers, healthCheck, outlier, slowStart, feedback, retries, timeouts,
                tcpKeepalive, resolver, UpstreamProtocol.HTTP_1_1, Duration.ZERO, UpstreamHttp2Config.DEFAULTS);
    }

    /** A backend whose servers, if any are named by DNS, use the default resolver settings. */
    public BackendConfig(String name, SchedulerConfig scheduler, String hashKey, List<ServerConfig> servers,
                         Optional<HealthCheckConfig> healthCheck, Optional<OutlierConfig> outlier,
                         Duration slowStart, Optional<FeedbackConfig> feedback, int retries,
                         BackendTimeouts timeouts, Optional<KeepaliveConfig> tcpKeepalive) {
        this(name, scheduler, hashKey, servers, healthCheck, outlier, slowStart, feedback, retries, timeouts,
                tcpKeepalive, ResolverConfig.DEFAULTS);
    }

    /** Whether some server entry is found by DNS rather than written as an address. */
    public boolean hasDiscovery() {
        return servers.stream().anyMatch(s -> s.discovery().isPresent());
    }
}
