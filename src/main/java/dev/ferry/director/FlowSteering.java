package dev.ferry.director;

import dev.ferry.director.packet.IcmpMessages;
import dev.ferry.director.packet.Ipv4;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Which worker tracks a packet's connection, when a director has several. A connection belongs to the worker its
 * client's endpoint (transport protocol, client address and port) hashes to: both halves of a VS/NAT connection
 * carry that endpoint — the client's packets as their source, the real server's replies as their destination, an
 * ICMP error in the packet it quotes — so every packet of a connection finds the same worker without a shared
 * table. The kernel spreads packets over a TUN device's queues by its own flow hash and then steers a flow to the
 * queue that last wrote it ({@code tun_automq_select_queue}), so after the first packets of each direction a
 * connection's packets arrive at its worker's queue directly; the rest are handed over.
 *
 * <p>A packet this cannot read (not IPv4, too short, a later fragment, no transport ports) stays with the worker
 * that read it: the pipeline drops it or passes it on without the table.
 *
 * <p>Threading: stateless; called by each worker on its own packets.
 */
final class FlowSteering {
    private FlowSteering() {
    }

    /**
     * The worker of {@code workers} that owns the packet of {@code length} bytes in {@code p}, or {@code self}
     * when it carries no client endpoint.
     */
    static int owner(MemorySegment p, int length, NatPipeline pipeline, int workers, int self) {
        if (length < Ipv4.MIN_HEADER || Ipv4.version(p, 0) != 4) {
            return self;
        }
        int ihl = Ipv4.headerLength(p, 0);
        int total = Ipv4.totalLength(p, 0);
        if (ihl < Ipv4.MIN_HEADER || total < ihl || total > length || Ipv4.isLaterFragment(p, 0)) {
            return self;
        }
        int protocol = Ipv4.protocol(p, 0);
        boolean inbound = pipeline.isVirtualAddress(Ipv4.destination(p, 0));
        if (protocol == Ipv4.TCP || protocol == Ipv4.UDP) {
            if (total < ihl + 4) {
                return self;
            }
            return inbound ? worker(protocol, Ipv4.source(p, 0), Ipv4.sourcePort(p, ihl), workers)
                    : worker(protocol, Ipv4.destination(p, 0), Ipv4.destinationPort(p, ihl), workers);
        }
        if (protocol != Ipv4.ICMP || total < ihl + 8 + Ipv4.MIN_HEADER
                || !IcmpMessages.isError(p.get(ValueLayout.JAVA_BYTE, ihl) & 0xFF)) {
            return self;
        }
        // An error about a quoted packet: to a virtual address, it quotes one the director sent to the client (the
        // client is its destination); from elsewhere, one the client sent (the client is its source).
        int inner = ihl + 8;
        int innerIhl = Ipv4.headerLength(p, inner);
        int innerProtocol = Ipv4.protocol(p, inner);
        int innerL4 = inner + innerIhl;
        if (innerIhl < Ipv4.MIN_HEADER || (innerProtocol != Ipv4.TCP && innerProtocol != Ipv4.UDP)
                || total < innerL4 + 4) {
            return self;
        }
        return inbound ? worker(innerProtocol, Ipv4.destination(p, inner), Ipv4.destinationPort(p, innerL4), workers)
                : worker(innerProtocol, Ipv4.source(p, inner), Ipv4.sourcePort(p, innerL4), workers);
    }

    /** The worker of a client endpoint: a 64-bit mix (murmur3's finaliser) of protocol, address and port. */
    static int worker(int protocol, int address, int port, int workers) {
        long h = ((long) protocol << 48) ^ ((address & 0xFFFF_FFFFL) << 16) ^ port;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) Long.remainderUnsigned(h, workers);
    }
}
