package dev.ferry.director.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Field access to an IPv4 packet held at offset 0 of a segment (RFC 791), with the TCP, UDP and ICMP header fields
 * the director reads after it. Nothing is copied: every accessor reads or writes the packet in place.
 * Addresses are ints in network order's numeric value ({@code 10.0.0.1} is {@code 0x0A000001}).
 */
public final class Ipv4 {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMP = 1;
    public static final int MIN_HEADER = 20;

    static final int TOTAL_LENGTH = 2;
    static final int FRAGMENT = 6;
    static final int TTL = 8;
    static final int PROTOCOL = 9;
    static final int CHECKSUM = 10;
    static final int SOURCE = 12;
    static final int DESTINATION = 16;

    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_ACK = 0x10;

    private Ipv4() {
    }

    public static int version(MemorySegment p, long at) {
        return (p.get(ValueLayout.JAVA_BYTE, at) >> 4) & 0xF;
    }

    /** The header's length in bytes (IHL x 4). */
    public static int headerLength(MemorySegment p, long at) {
        return (p.get(ValueLayout.JAVA_BYTE, at) & 0xF) * 4;
    }

    public static int totalLength(MemorySegment p, long at) {
        return u16(p, at + TOTAL_LENGTH);
    }

    /** Whether the packet is a fragment (more fragments follow, or its offset is not 0). */
    public static boolean isFragment(MemorySegment p, long at) {
        return (u16(p, at + FRAGMENT) & 0x3FFF) != 0;
    }

    /** Whether the packet is a fragment other than the first (it carries no transport header). */
    public static boolean isLaterFragment(MemorySegment p, long at) {
        return (u16(p, at + FRAGMENT) & 0x1FFF) != 0;
    }

    public static boolean dontFragment(MemorySegment p, long at) {
        return (u16(p, at + FRAGMENT) & 0x4000) != 0;
    }

    public static int ttl(MemorySegment p, long at) {
        return p.get(ValueLayout.JAVA_BYTE, at + TTL) & 0xFF;
    }

    public static int protocol(MemorySegment p, long at) {
        return p.get(ValueLayout.JAVA_BYTE, at + PROTOCOL) & 0xFF;
    }

    public static int checksum(MemorySegment p, long at) {
        return u16(p, at + CHECKSUM);
    }

    public static int source(MemorySegment p, long at) {
        return p.get(U32, at + SOURCE);
    }

    public static int destination(MemorySegment p, long at) {
        return p.get(U32, at + DESTINATION);
    }

    /** Whether the header's own checksum is right. */
    public static boolean headerChecksumValid(MemorySegment p, long at) {
        return Checksums.finish(Checksums.sum(p, at, headerLength(p, at), 0)) == 0;
    }

    /** The transport's source port (TCP and UDP), at {@code l4} (the header's end). */
    public static int sourcePort(MemorySegment p, long l4) {
        return u16(p, l4);
    }

    public static int destinationPort(MemorySegment p, long l4) {
        return u16(p, l4 + 2);
    }

    public static int tcpFlags(MemorySegment p, long l4) {
        return p.get(ValueLayout.JAVA_BYTE, l4 + 13) & 0x3F;
    }

    /** Where the transport checksum lies relative to the transport header (TCP 16, UDP 6, ICMP 2). */
    public static int checksumOffset(int protocol) {
        return switch (protocol) {
            case TCP -> 16;
            case UDP -> 6;
            default -> 2;
        };
    }

    /** The shortest transport header the director needs to read (ports and flags). */
    public static int minimumTransportHeader(int protocol) {
        return switch (protocol) {
            case TCP -> 20;
            case UDP -> 8;
            default -> 8;
        };
    }

    static int u16(MemorySegment p, long at) {
        return Short.toUnsignedInt(p.get(U16, at));
    }

    static void setU16(MemorySegment p, long at, int value) {
        p.set(U16, at, (short) value);
    }

    static void setU32(MemorySegment p, long at, int value) {
        p.set(U32, at, value);
    }

    /** {@code a.b.c.d} for an address int. */
    public static String format(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "."
                + (address & 0xFF);
    }

    /** The address int of four bytes in network order. */
    public static int address(byte[] b) {
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    /** The four bytes, in network order, of an address int. */
    public static byte[] bytes(int address) {
        return new byte[]{(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }

    /** The address int of {@code a.b.c.d}. */
    public static int parse(String dotted) {
        String[] parts = dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        int a = 0;
        for (String part : parts) {
            int octet = Integer.parseInt(part);
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            a = (a << 8) | octet;
        }
        return a;
    }
}
