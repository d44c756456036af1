package dev.ferry.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * One virtual service of a director (LVS: VIP, port and protocol).
 *
 * @param vip        the virtual IPv4 address and port
 * @param protocol   tcp or udp
 * @param backend    the backend whose real servers take the service's connections
 * @param forwarding how packets reach the real servers
 * @param persistence IPVS persistence ({@code ipvsadm -p -M}), when on; a VIP with port 0 (every port of the address)
 *                    always has it
 * @param sloppyTcp  IPVS {@code sloppy_tcp}: a TCP packet other than a SYN (and not a RST) that matches no tracked
 *                    connection is scheduled as a new connection instead of dropped, so that flows another director
 *                    started (ECMP in front of several directors, one of them stopped) continue; with a consistent
 *                    scheduler ({@code mh}, {@code sh}) they reach the server they had
 */
public record DirectorServiceConfig(HostPort vip, Protocol protocol, String backend, Forwarding forwarding,
                                    Optional<Persistence> persistence, boolean sloppyTcp) {

    /** A service without {@code sloppy_tcp}. */
    public DirectorServiceConfig(HostPort vip, Protocol protocol, String backend, Forwarding forwarding,
                                 Optional<Persistence> persistence) {
        this(vip, protocol, backend, forwarding, persistence, false);
    }

    /** A service without persistence. */
    public DirectorServiceConfig(HostPort vip, Protocol protocol, String backend, Forwarding forwarding) {
        this(vip, protocol, backend, forwarding, Optional.empty());
    }

    /**
     * Persistence, as {@code ipvsadm -p TIMEOUT -M NETMASK}: new connections of clients whose addresses agree under
     * {@code netmask} go to the server the first of them got, while a template lives: as long as it has connections
     * and for {@code timeout} after the last one ended.
     *
     * @param netmask a contiguous IPv4 netmask, as an int ({@code 0xFFFFFFFF}: each client address on its own)
     */
    public record Persistence(Duration timeout, int netmask) {
        /** {@code ipvsadm -p}'s default timeout. */
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(300);
        public static final int DEFAULT_NETMASK = 0xFFFF_FFFF;
    }
    /** A virtual service's transport protocol. */
    public enum Protocol {
        TCP, UDP;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** LVS's forwarding methods ({@code ipvsadm -m}, {@code -i}, {@code -g}). */
    public enum Forwarding {
        NAT, TUNNEL, DIRECT;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
