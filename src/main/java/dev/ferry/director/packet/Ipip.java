package dev.ferry.director.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * VS/TUN's encapsulation: a packet wrapped whole in an outer IPv4 header of protocol 4 (IP in IP, RFC 2003), in
 * place. The outer header takes from the inner one what {@code ip_vs_tunnel_xmit} takes: the DF bit, the TTL and
 * the whole TOS byte, DSCP and ECN (RFC 6040's normal mode copies the ECN field, CE included, so congestion marked
 * before the tunnel is still seen after it). The outer header has no options; its identification comes from the
 * caller (unique per source and destination while fragments of it may be in flight, RFC 6864).
 */
public final class Ipip {
    /** IPPROTO_IPIP. */
    public static final int PROTOCOL = 4;
    /** What the outer header adds. */
    public static final int OVERHEAD = Ipv4.MIN_HEADER;
    /** The largest inner packet an outer IPv4 header can carry. */
    public static final int MAX_INNER = 65_535 - OVERHEAD;

    private static final int TOS = 1;
    private static final int ID = 4;
    private static final int DF = 0x4000;

    private Ipip() {
    }

    /**
     * Moves the packet of {@code length} bytes at offset 0 of {@code p} (which must hold {@code length + 20} bytes)
     * 20 bytes on and writes the outer header before it.
     *
     * @return the encapsulated packet's length
     */
    public static int encapsulate(MemorySegment p, int length, int source, int destination, int id) {
        if (length > MAX_INNER) {
            throw new IllegalArgumentException("an inner packet of " + length + " bytes does not fit in IPIP");
        }
        int tos = p.get(ValueLayout.JAVA_BYTE, TOS) & 0xFF;
        int ttl = Ipv4.ttl(p, 0);
        boolean df = Ipv4.dontFragment(p, 0);
        MemorySegment.copy(p, 0, p, OVERHEAD, length);
        int total = length + OVERHEAD;
        p.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        p.set(ValueLayout.JAVA_BYTE, TOS, (byte) tos);
        Ipv4.setU16(p, Ipv4.TOTAL_LENGTH, total);
        Ipv4.setU16(p, ID, id);
        Ipv4.setU16(p, Ipv4.FRAGMENT, df ? DF : 0);
        p.set(ValueLayout.JAVA_BYTE, Ipv4.TTL, (byte) ttl);
        p.set(ValueLayout.JAVA_BYTE, Ipv4.PROTOCOL, (byte) PROTOCOL);
        Ipv4.setU16(p, Ipv4.CHECKSUM, 0);
        Ipv4.setU32(p, Ipv4.SOURCE, source);
        Ipv4.setU32(p, Ipv4.DESTINATION, destination);
        Ipv4.setU16(p, Ipv4.CHECKSUM, Checksums.finish(Checksums.sum(p, 0, OVERHEAD, 0)));
        return total;
    }

    /**
     * Where the inner packet of the IPIP packet of {@code length} bytes at offset 0 starts, or -1 when it is not
     * one: not IPv4 protocol 4, a fragment, shorter than its headers say, or the inner packet not IPv4 or longer
     * than what carries it.
     */
    public static int innerOffset(MemorySegment p, int length) {
        if (length < OVERHEAD + Ipv4.MIN_HEADER || Ipv4.version(p, 0) != 4 || Ipv4.protocol(p, 0) != PROTOCOL
                || Ipv4.isFragment(p, 0)) {
            return -1;
        }
        int ihl = Ipv4.headerLength(p, 0);
        int total = Ipv4.totalLength(p, 0);
        if (ihl < Ipv4.MIN_HEADER || total > length || total < ihl + Ipv4.MIN_HEADER) {
            return -1;
        }
        if (Ipv4.version(p, ihl) != 4 || Ipv4.totalLength(p, ihl) > total - ihl
                || Ipv4.totalLength(p, ihl) < Ipv4.MIN_HEADER) {
            return -1;
        }
        return ihl;
    }
}
