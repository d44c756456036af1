package dev.ferry.director;

import java.util.Locale;

/** Why the director dropped a packet (the {@code reason} label of {@code ferry_director_drops_total}). */
public enum DropReason {
    /** Shorter than its headers say, or headers that cannot be. */
    MALFORMED,
    /** Not IPv4 (the director forwards IPv4 only). */
    NOT_IPV4,
    BAD_CHECKSUM,
    /** A fragment other than the first: it carries no ports to find its connection by. */
    FRAGMENT,
    /** A TCP packet other than a SYN for a virtual service, matching no tracked connection (as IPVS). */
    NO_ENTRY,
    /** A new connection while the table holds {@code max_connections} entries. */
    TABLE_FULL,
    /** The TTL ran out (answered with ICMP time exceeded). */
    TTL,
    /** No server could take a new connection (answered with ICMP port unreachable). */
    NO_SERVER,
    /** Addressed to a virtual address on a port or protocol no service has. */
    NO_SERVICE,
    /** A new connection dropped by the SYN-flood defence ({@code drop_packet}) while the table is nearly full. */
    DEFENSE,
    /** Another worker tracks the packet's connection and its hand-over ring was full. */
    HANDOFF_FULL,
    /** The device refused the write. */
    WRITE_FAILED,
    /**
     * Too big for the tunnel to its real server once wrapped in IPIP, with DF set (answered with ICMP fragmentation
     * needed and the tunnel's MTU, as {@code ip_vs_xmit.c} does), or too big for IPIP at all.
     */
    TOO_BIG,
    /** The director has no route to a tunnel service's real server. */
    NO_ROUTE,
    /**
     * The MAC of a direct service's real server is not known (the kernel is asked to resolve it; a new connection
     * dropped so counts as a failed connect of the server).
     */
    NO_NEIGHBOUR;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
