package dev.ferry.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One entry of {@code directors:}: a packet-level director (LVS) reading and writing a TUN device.
 *
 * @param name           unique among directors
 * @param device         the TUN device's name (created when missing)
 * @param netInterface   the LAN interface for {@code forwarding: direct} (key {@code interface})
 * @param workers        reader threads, one TUN queue each
 * @param maxConnections the connection table's hard limit, all services together
 * @param timeouts       idle timeouts of tracked connections, as {@code ipvsadm --set}
 * @param services       the virtual services, in file order
 */
public record DirectorConfig(String name, String device, Optional<String> netInterface, int workers,
                             int maxConnections, Timeouts timeouts, List<DirectorServiceConfig> services) {
    public static final String DEFAULT_DEVICE = "ferry0";
    public static final int DEFAULT_WORKERS = 1;
    /** Each worker is a thread with a queue of the device; past the cores they only add hand-overs. */
    public static final int MAX_WORKERS = 64;
    public static final int DEFAULT_MAX_CONNECTIONS = 1_000_000;
    public static final int MAX_MAX_CONNECTIONS = 50_000_000;

    public DirectorConfig {
        services = List.copyOf(services);
    }

    /**
     * {@code timeouts:}: ESTABLISHED ({@code tcp}), FIN_WAIT ({@code tcp_fin}) and UDP entries ({@code udp}); the
     * other TCP states keep IPVS's defaults.
     */
    public record Timeouts(Duration tcp, Duration tcpFin, Duration udp) {
        /** IPVS's: {@code ipvsadm --set 900 120 300}. */
        public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(900), Duration.ofSeconds(120),
                Duration.ofSeconds(300));
    }
}
