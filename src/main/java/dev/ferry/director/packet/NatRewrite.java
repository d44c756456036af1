package dev.ferry.director.packet;

import java.lang.foreign.MemorySegment;

/**
 * The VS/NAT rewrites, in place: the destination (client to server) or the source (server to client) address and
 * port change, and the IP header checksum and the TCP or UDP checksum (whose pseudo-header covers the addresses)
 * are updated incrementally (RFC 1624). A UDP checksum of 0 means "none" (RFC 768) and stays 0; a computed 0 is
 * sent as 0xFFFF.
 */
public final class NatRewrite {
    private NatRewrite() {
    }

    /** Client to server: destination becomes {@code address:port}. {@code l4} is where the transport starts. */
    public static void rewriteDestination(MemorySegment p, int l4, int protocol, int address, int port) {
        int oldAddress = Ipv4.destination(p, 0);
        rewriteAddress(p, 0, false, address);
        if (!Ipv4.isLaterFragment(p, 0)) {
            rewritePort(p, l4, protocol, l4 + 2, oldAddress, address, port);
        }
    }

    /** Server to client: source becomes {@code address:port}. */
    public static void rewriteSource(MemorySegment p, int l4, int protocol, int address, int port) {
        int oldAddress = Ipv4.source(p, 0);
        rewriteAddress(p, 0, true, address);
        if (!Ipv4.isLaterFragment(p, 0)) {
            rewritePort(p, l4, protocol, l4, oldAddress, address, port);
        }
    }

    private static void rewritePort(MemorySegment p, int l4, int protocol, int portAt, int oldAddress, int address,
                                    int port) {
        int oldPort = Ipv4.u16(p, portAt);
        Ipv4.setU16(p, portAt, port);
        long checkAt = l4 + Ipv4.checksumOffset(protocol);
        int check = Ipv4.u16(p, checkAt);
        if (protocol == Ipv4.UDP && check == 0) {
            return;
        }
        check = Checksums.update16(Checksums.update32(check, oldAddress, address), oldPort, port);
        if (protocol == Ipv4.UDP && check == 0) {
            check = 0xFFFF;
        }
        Ipv4.setU16(p, checkAt, check);
    }

    /**
     * Decrements the TTL and updates the header checksum.
     *
     * @return false, leaving the packet as it was, when the TTL is 1 or 0: the packet must not be forwarded
     */
    public static boolean decrementTtl(MemorySegment p) {
        int ttl = Ipv4.ttl(p, 0);
        if (ttl <= 1) {
            return false;
        }
        int word = Ipv4.u16(p, Ipv4.TTL);
        int next = word - 0x100;
        Ipv4.setU16(p, Ipv4.TTL, next);
        Ipv4.setU16(p, Ipv4.CHECKSUM, Checksums.update16(Ipv4.checksum(p, 0), word, next));
        return true;
    }

    /** Sets the source ({@code source} true) or destination address of the IP header at {@code header}. */
    public static void rewriteAddress(MemorySegment p, long header, boolean source, int address) {
        long at = header + (source ? Ipv4.SOURCE : Ipv4.DESTINATION);
        int old = p.get(Ipv4.U32, at);
        Ipv4.setU32(p, at, address);
        long checkAt = header + Ipv4.CHECKSUM;
        Ipv4.setU16(p, checkAt, Checksums.update32(Ipv4.u16(p, checkAt), old, address));
    }

    /**
     * In the packet an ICMP error quotes (its IP header at {@code inner}), sets the source ({@code source} true) or
     * destination address and port, updating its header checksum and, where the quote reaches it, its transport
     * checksum, so the quote reads as the packet the other side sent.
     */
    public static void rewriteQuoted(MemorySegment p, int total, int inner, int protocol, boolean source,
                                     int address, int port) {
        long addressAt = inner + (source ? Ipv4.SOURCE : Ipv4.DESTINATION);
        int oldAddress = p.get(Ipv4.U32, addressAt);
        rewriteAddress(p, inner, source, address);
        int l4 = inner + Ipv4.headerLength(p, inner);
        long portAt = l4 + (source ? 0 : 2);
        int oldPort = Ipv4.u16(p, portAt);
        Ipv4.setU16(p, portAt, port);
        long checkAt = l4 + Ipv4.checksumOffset(protocol);
        if (checkAt + 2 <= total) {
            int check = Ipv4.u16(p, checkAt);
            if (!(protocol == Ipv4.UDP && check == 0)) {
                check = Checksums.update16(Checksums.update32(check, oldAddress, address), oldPort, port);
                Ipv4.setU16(p, checkAt, protocol == Ipv4.UDP && check == 0 ? 0xFFFF : check);
            }
        }
    }
}
