package dev.ferry.director.packet;

import java.lang.foreign.MemorySegment;

import static dev.ferry.director.packet.Ipv4.U16;

/**
 * The Internet checksum (RFC 1071): the full ones'-complement sum, and the incremental update of RFC 1624
 * (equation 3, {@code HC' = ~(~HC + ~m + m')}) used when a rewrite changes a few 16-bit words of a packet.
 */
public final class Checksums {
    private Checksums() {
    }

    /** The ones'-complement sum of {@code length} bytes from {@code offset}, added to {@code initial} (not folded). */
    public static long sum(MemorySegment packet, long offset, int length, long initial) {
        long sum = initial;
        long end = offset + (length & ~1);
        for (long i = offset; i < end; i += 2) {
            sum += Short.toUnsignedInt(packet.get(U16, i));
        }
        if ((length & 1) != 0) {
            sum += (packet.get(java.lang.foreign.ValueLayout.JAVA_BYTE, end) & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits and complements it: the checksum field's value. */
    public static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    /** The TCP/UDP pseudo-header's sum (RFC 793, RFC 768) for IPv4. */
    public static long pseudoHeader(int source, int destination, int protocol, int length) {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF)
                + protocol + length;
    }

    /** The checksum after a 16-bit word of the covered data changed from {@code old} to {@code now}. */
    public static int update16(int check, int old, int now) {
        long sum = (~check & 0xFFFF) + (~old & 0xFFFF) + (now & 0xFFFF);
        return finish(sum);
    }

    /** The checksum after a 32-bit field (an IPv4 address) of the covered data changed. */
    public static int update32(int check, int old, int now) {
        long sum = (~check & 0xFFFF) + (~(old >>> 16) & 0xFFFF) + (~old & 0xFFFF)
                + (now >>> 16) + (now & 0xFFFF);
        return finish(sum);
    }
}
