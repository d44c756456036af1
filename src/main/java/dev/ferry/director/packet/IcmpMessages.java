package dev.ferry.director.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ICMP errors the director sends (RFC 792): time exceeded for a packet whose TTL ran out, port unreachable for a
 * virtual service with no server to take a new connection (as IPVS's {@code ip_vs_leave}). The error quotes the
 * offending packet's IP header and the first 8 bytes after it and is built in a separate buffer, so the packet is
 * left as it was.
 */
public final class IcmpMessages {
    public static final int DEST_UNREACHABLE = 3;
    public static final int SOURCE_QUENCH = 4;
    public static final int TIME_EXCEEDED = 11;
    public static final int PARAMETER_PROBLEM = 12;
    public static final int PORT_UNREACHABLE = 3;
    /** Destination unreachable's code for "fragmentation needed and DF set" (RFC 792; next-hop MTU: RFC 1191). */
    public static final int FRAGMENTATION_NEEDED = 4;
    private static final int DEFAULT_TTL = 64;

    private IcmpMessages() {
    }

    /** Whether an ICMP type is an error that quotes a packet. */
    public static boolean isError(int type) {
        return type == DEST_UNREACHABLE || type == SOURCE_QUENCH || type == TIME_EXCEEDED
                || type == PARAMETER_PROBLEM;
    }

    /**
     * Writes into {@code out} an ICMP error of {@code type}/{@code code} from {@code source} about {@code packet}
     * (length {@code length}), addressed to the packet's source.
     *
     * @return the error's length
     */
    public static int error(MemorySegment packet, int length, int type, int code, int source, MemorySegment out) {
        return error(packet, length, type, code, 0, source, out);
    }

    /**
     * "Fragmentation needed and DF set" about {@code packet}, from {@code source}, with the next-hop MTU (RFC 1191)
     * the sender's path MTU discovery lowers its packets to.
     *
     * @return the error's length
     */
    public static int fragmentationNeeded(MemorySegment packet, int length, int nextHopMtu, int source,
                                          MemorySegment out) {
        return error(packet, length, DEST_UNREACHABLE, FRAGMENTATION_NEEDED, nextHopMtu & 0xFFFF, source, out);
    }

    /** As {@link #error(MemorySegment, int, int, int, int, MemorySegment)}, with the header's second word. */
    private static int error(MemorySegment packet, int length, int type, int code, int rest, int source,
                             MemorySegment out) {
        int ihl = Ipv4.headerLength(packet, 0);
        int quoted = Math.min(length, ihl + 8);
        int total = Ipv4.MIN_HEADER + 8 + quoted;
        out.asSlice(0, total).fill((byte) 0);
        out.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        Ipv4.setU16(out, Ipv4.TOTAL_LENGTH, total);
        out.set(ValueLayout.JAVA_BYTE, Ipv4.TTL, (byte) DEFAULT_TTL);
        out.set(ValueLayout.JAVA_BYTE, Ipv4.PROTOCOL, (byte) Ipv4.ICMP);
        Ipv4.setU32(out, Ipv4.SOURCE, source);
        Ipv4.setU32(out, Ipv4.DESTINATION, Ipv4.source(packet, 0));
        Ipv4.setU16(out, Ipv4.CHECKSUM, Checksums.finish(Checksums.sum(out, 0, Ipv4.MIN_HEADER, 0)));
        int icmp = Ipv4.MIN_HEADER;
        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) type);
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) code);
        Ipv4.setU32(out, icmp + 4, rest);
        MemorySegment.copy(packet, 0, out, icmp + 8, quoted);
        Ipv4.setU16(out, icmp + 2, Checksums.finish(Checksums.sum(out, icmp, total - icmp, 0)));
        return total;
    }

    /** Computes the ICMP checksum (over the whole message, which is short) of the ICMP message at {@code icmp}. */
    public static void recomputeChecksum(MemorySegment p, int icmp, int total) {
        Ipv4.setU16(p, icmp + 2, 0);
        Ipv4.setU16(p, icmp + 2, Checksums.finish(Checksums.sum(p, icmp, total - icmp, 0)));
    }
}
