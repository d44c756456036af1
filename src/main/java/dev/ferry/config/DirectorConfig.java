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
 * @param defense        the SYN-flood defence strategies (IPVS's {@code drop_entry}, {@code drop_packet},
 *                       {@code secure_tcp}) and the table use at which the automatic ones switch on
 * @param sync           connection sync with a second director (the LVS sync daemon), when configured
 * @param io             how the workers move packets through the device (key {@code io})
 */
public record DirectorConfig(String name, String device, Optional<String> netInterface, int workers,
                             int maxConnections, Timeouts timeouts, List<DirectorServiceConfig> services,
                             Defense defense, Optional<Sync> sync, Io io) {
    public static final String DEFAULT_DEVICE = "ferry0";
    public static final int DEFAULT_WORKERS = 1;
    /** Each worker is a thread with a queue of the device; past the cores they only add hand-overs. */
    public static final int MAX_WORKERS = 64;
    public static final int DEFAULT_MAX_CONNECTIONS = 1_000_000;
    public static final int MAX_MAX_CONNECTIONS = 50_000_000;

    public DirectorConfig {
        services = List.copyOf(services);
    }

    /** A director with the default {@code io}. */
    public DirectorConfig(String name, String device, Optional<String> netInterface, int workers, int maxConnections,
                          Timeouts timeouts, List<DirectorServiceConfig> services, Defense defense,
                          Optional<Sync> sync) {
        this(name, device, netInterface, workers, maxConnections, timeouts, services, defense, sync, Io.DEFAULT);
    }

    /** This configuration with {@code io}. */
    public DirectorConfig withIo(Io io) {
        return new DirectorConfig(name, device, netInterface, workers, maxConnections, timeouts, services, defense,
                sync, io);
    }

    /**
     * {@code io:}, how a worker moves packets through its TUN queue: {@code uring}, batches through an io_uring
     * (several reads armed, the writes and re-armed reads of a turn submitted in one system call that also waits);
     * {@code syscalls}, a {@code read} and a {@code write} per packet. {@code uring} falls back to {@code syscalls},
     * with one log line, where the kernel refuses io_uring.
     */
    public enum Io {
        URING, SYSCALLS;

        public static final Io DEFAULT = URING;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A director with the default defence. */
    public DirectorConfig(String name, String device, Optional<String> netInterface, int workers, int maxConnections,
                          Timeouts timeouts, List<DirectorServiceConfig> services) {
        this(name, device, netInterface, workers, maxConnections, timeouts, services, Defense.DEFAULTS);
    }

    /** A director without connection sync. */
    public DirectorConfig(String name, String device, Optional<String> netInterface, int workers, int maxConnections,
                          Timeouts timeouts, List<DirectorServiceConfig> services, Defense defense) {
        this(name, device, netInterface, workers, maxConnections, timeouts, services, defense, Optional.empty());
    }

    /** This configuration with {@code sync}. */
    public DirectorConfig withSync(Sync sync) {
        return new DirectorConfig(name, device, netInterface, workers, maxConnections, timeouts, services, defense,
                Optional.of(sync), io);
    }

    /**
     * {@code sync:}, connection sync between two directors as the LVS sync daemon ({@code ipvsadm --start-daemon
     * master|backup --syncid ID}): the active one sends its new entries and their state changes over UDP to
     * {@code peer}; the standby receives them on {@code listen} and tracks them as its own, so that established
     * connections continue when traffic moves to it.
     *
     * @param role   which side this director is
     * @param listen standby: the IPv4 address and port it receives on; active: the local address it sends from
     *               (optional, port 0 for any)
     * @param peer   active: the standby's IPv4 address and port (unicast); never set for a standby
     * @param id     IPVS's {@code syncid}, 0..255: messages carrying another one are ignored
     */
    public record Sync(Role role, Optional<HostPort> listen, Optional<HostPort> peer, int id) {
        /** IPVS's {@code syncid} is a byte. */
        public static final int MAX_ID = 255;

        /** IPVS's master and backup. */
        public enum Role {
            ACTIVE, STANDBY;

            public String key() {
                return name().toLowerCase(java.util.Locale.ROOT);
            }
        }
    }

    /**
     * {@code defense:}, IPVS's defence strategies against SYN floods, switched on by table use instead of free
     * memory (IPVS's {@code amemthresh}): each is {@code off}, {@code auto} (on while a worker's share of the table
     * is fuller than {@code thresholdPercent}) or {@code always}.
     *
     * @param dropEntry  every second, drop a random sample of half-open entries (SYN_RECV, SYNACK)
     * @param dropPacket drop one in N new connections, N shrinking to 1 as the table fills
     * @param secureTcp  IPVS's {@code tcp_states_dos} transitions and 10 s half-open timeouts
     */
    public record Defense(int thresholdPercent, Strategy dropEntry, Strategy dropPacket, Strategy secureTcp) {
        public static final Defense DEFAULTS = new Defense(90, Strategy.AUTO, Strategy.OFF, Strategy.AUTO);

        /** IPVS's sysctl values 0, 1 (and 2 while it is on) and 3. */
        public enum Strategy {
            OFF, AUTO, ALWAYS;

            public String key() {
                return name().toLowerCase(java.util.Locale.ROOT);
            }
        }
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
