package dev.ferry.config;

import java.util.Locale;

/**
 * One virtual service of a director (LVS: VIP, port and protocol).
 *
 * @param vip        the virtual IPv4 address and port
 * @param protocol   tcp or udp
 * @param backend    the backend whose real servers take the service's connections
 * @param forwarding how packets reach the real servers
 */
public record DirectorServiceConfig(HostPort vip, Protocol protocol, String backend, Forwarding forwarding) {
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
