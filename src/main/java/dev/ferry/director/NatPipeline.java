package dev.ferry.director;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.director.packet.IcmpMessages;
import dev.ferry.director.packet.Ipip;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.packet.NatRewrite;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.PersistenceTemplate;
import dev.ferry.director.table.PersistenceTemplates;
import dev.ferry.director.table.TcpStateTable.Direction;
import dev.ferry.director.table.TrackedConnection;
import dev.ferry.schedule.PickContext;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * What the director does with one packet, VS/NAT: a client's packet to a virtual service gets a real server's
 * address and port (a new connection is scheduled on its first packet, a TCP SYN or any UDP datagram), a real
 * server's reply gets the virtual address and port back, and ICMP errors about a tracked connection are forwarded
 * with the quoted header rewritten ({@code ip_vs_in_icmp}, {@code ip_vs_out_icmp}). Every forwarded packet's TTL is
 * decremented; one that runs out is answered with ICMP time exceeded. Packets of no virtual service are written
 * back unchanged but for the TTL, for the kernel to route (health checks, the servers' own traffic); packets to a
 * virtual address on a port no service has are dropped, so they cannot loop through the device.
 *
 * <p>A persistent service ({@code ipvsadm -p}) places a client's new connections through the director's shared
 * {@link PersistenceTemplates}; a service of port 0 takes the connections to every port of its address that no
 * service of their own port takes (IPVS looks up the exact service first, then the port-zero one), and they keep
 * their destination port on the real server.
 *
 * <p>A tunnel service (VS/TUN, {@code forwarding: tunnel}) rewrites nothing: the client's packet, its TTL
 * decremented, is wrapped in IPIP ({@link Ipip}) from the director's address toward the real server
 * ({@link TunnelRoutes}) and written back for the kernel to route to the server, which answers the client directly;
 * so its connections are tracked without a reply direction (the INPUT-ONLY state table). A packet too big for the
 * tunnel's MTU with DF set is answered with ICMP fragmentation needed and the MTU less the outer header, as
 * {@code ip_vs_xmit.c}'s {@code ensure_mtu_is_adequate}; without DF it goes on and the kernel fragments the outer
 * packet.
 *
 * <p>A direct service (VS/DR, {@code forwarding: direct}) rewrites nothing either: the client's packet, its TTL
 * decremented, goes in an Ethernet frame to the real server's MAC on the director's {@code interface}
 * ({@link Verdict#FRAME}), the server holding the VIP itself; the MAC comes from the kernel's neighbour table
 * ({@link Neighbours}), and a server whose MAC is not known takes no new connection and counts a failed connect
 * (the kernel is asked to resolve it meanwhile). Its connections are tracked without replies too.
 *
 * <p>Threading: confined to the worker thread that owns the table; nothing on the way allocates except
 * scheduling a new connection.
 */
public final class NatPipeline {
    /** What to write after {@link #process}. */
    public enum Verdict {
        /** Write the packet (rewritten in place), {@link #length()} bytes. */
        FORWARD,
        /** Write the reply buffer (an ICMP error), {@link #length()} bytes. */
        REPLY,
        /**
         * Send the packet, {@link #length()} bytes, in an Ethernet frame to {@link #frameDestination()} on the
         * director's interface.
         */
        FRAME,
        /** Write nothing. */
        DROP
    }

    /** {@link TrackedConnection#forwarding()} of a VS/NAT connection. */
    static final int NAT = 0;
    /** {@link TrackedConnection#forwarding()} of a VS/TUN connection. */
    static final int TUNNEL = 1;
    /** {@link TrackedConnection#forwarding()} of a VS/DR connection. */
    static final int DIRECT = 2;

    private final ConnectionTable table;
    private final PersistenceTemplates templates;
    private final SynDefense defense;
    private final TunnelRouteCache tunnelRoutes;
    private final NeighbourCache neighbours;
    /** The MTU of the interface direct services' frames leave by. */
    private final int linkMtu;
    private long frameDestination;
    /** The outer headers' identification, one sequence per worker. */
    private int ipipId = (int) (System.nanoTime() & 0xFFFF);
    private final DirectorStats.Shard stats;
    private volatile VirtualService[] services;
    private int length;

    NatPipeline(List<VirtualService> services, ConnectionTable table, DirectorStats.Shard stats) {
        this(services, table, new PersistenceTemplates(), new SynDefense(DirectorConfig.Defense.DEFAULTS), stats);
    }

    /**
     * @param templates the director's persistence templates, shared with its other workers' pipelines
     * @param defense   the worker's SYN-flood defence, which may drop new connections
     */
    NatPipeline(List<VirtualService> services, ConnectionTable table, PersistenceTemplates templates,
                SynDefense defense, DirectorStats.Shard stats) {
        this(services, table, templates, defense, stats, TunnelRoutes.SYSTEM);
    }

    /** @param routes where tunnel services' packets come from toward each real server, and the MTU that way */
    NatPipeline(List<VirtualService> services, ConnectionTable table, PersistenceTemplates templates,
                DirectorStats.Shard stats, TunnelRoutes routes) {
        this(services, table, templates, new SynDefense(DirectorConfig.Defense.DEFAULTS), stats, routes);
    }

    NatPipeline(List<VirtualService> services, ConnectionTable table, PersistenceTemplates templates,
                SynDefense defense, DirectorStats.Shard stats, TunnelRoutes routes) {
        this(services, table, templates, defense, stats, routes, NO_NEIGHBOURS, TunnelRoutes.DEFAULT_MTU);
    }

    /** Knows no MAC: a director without {@code interface} has no direct service. */
    static final Neighbours NO_NEIGHBOURS = new Neighbours() {
        @Override
        public long mac(int address) {
            return UNKNOWN;
        }

        @Override
        public void solicit(int address) {
        }
    };

    /**
     * @param neighbours the MACs of direct services' real servers on the director's interface
     * @param linkMtu    that interface's MTU
     */
    NatPipeline(List<VirtualService> services, ConnectionTable table, PersistenceTemplates templates,
                SynDefense defense, DirectorStats.Shard stats, TunnelRoutes routes, Neighbours neighbours,
                int linkMtu) {
        this.neighbours = new NeighbourCache(neighbours);
        this.linkMtu = linkMtu;
        this.services = services.toArray(VirtualService[]::new);
        this.table = table;
        this.templates = templates;
        this.defense = defense;
        this.stats = stats;
        this.tunnelRoutes = new TunnelRouteCache(routes);
    }

    /** How {@code service}'s packets reach {@code server}: its own {@code forwarding}, else the service's. */
    static int method(VirtualService service, Server server) {
        Forwarding f = server.forwarding() == null ? service.forwarding() : server.forwarding();
        return switch (f) {
            case NAT -> NAT;
            case TUNNEL -> TUNNEL;
            case DIRECT -> DIRECT;
        };
    }

    /** New services (a reload): tracked connections keep their servers and live on until they end. */
    public void setServices(List<VirtualService> next) {
        this.services = next.toArray(VirtualService[]::new);
    }

    public List<VirtualService> services() {
        return List.of(services);
    }

    public ConnectionTable table() {
        return table;
    }

    /** The length of what {@link #process} asked to write. */
    public int length() {
        return length;
    }

    /** The MAC a {@link Verdict#FRAME} goes to. */
    public long frameDestination() {
        return frameDestination;
    }

    /**
     * Handles the {@code received} bytes at the start of {@code p}, rewriting them in place; an ICMP error the
     * director answers with is built in {@code reply} (at least 576 bytes).
     */
    public Verdict process(MemorySegment p, int received, MemorySegment reply, long nowMillis) {
        if (received < Ipv4.MIN_HEADER) {
            return drop(DropReason.MALFORMED);
        }
        if (Ipv4.version(p, 0) != 4) {
            return drop(DropReason.NOT_IPV4);
        }
        int ihl = Ipv4.headerLength(p, 0);
        int total = Ipv4.totalLength(p, 0);
        if (ihl < Ipv4.MIN_HEADER || total < ihl || total > received) {
            return drop(DropReason.MALFORMED);
        }
        if (!Ipv4.headerChecksumValid(p, 0)) {
            return drop(DropReason.BAD_CHECKSUM);
        }
        if (ihl > Ipv4.MIN_HEADER) {
            stats.ipOptions();
        }
        int protocol = Ipv4.protocol(p, 0);
        if (protocol == Ipv4.TCP || protocol == Ipv4.UDP) {
            return transport(p, total, ihl, protocol, reply, nowMillis);
        }
        if (protocol == Ipv4.ICMP) {
            return icmp(p, total, ihl, reply, nowMillis);
        }
        return pass(p, total, reply);
    }

    private Verdict transport(MemorySegment p, int total, int ihl, int protocol, MemorySegment reply, long now) {
        if (Ipv4.isFragment(p, 0)) {
            if (Ipv4.isLaterFragment(p, 0)) {
                return isVirtualAddress(Ipv4.destination(p, 0)) || isRealServer(Ipv4.source(p, 0))
                        ? drop(DropReason.FRAGMENT) : pass(p, total, reply);
            }
            stats.firstFragment();
        }
        if (total < ihl + Ipv4.minimumTransportHeader(protocol)) {
            return drop(DropReason.MALFORMED);
        }
        int src = Ipv4.source(p, 0);
        int dst = Ipv4.destination(p, 0);
        int sport = Ipv4.sourcePort(p, ihl);
        int dport = Ipv4.destinationPort(p, ihl);
        int flags = protocol == Ipv4.TCP ? Ipv4.tcpFlags(p, ihl) : 0;

        TrackedConnection in = table.findInbound(protocol, src, sport, dst, dport);
        if (in != null && in.forwarding() == TUNNEL) {
            return tunnel(p, total, in, flags, reply, now);
        }
        if (in != null && in.forwarding() == DIRECT) {
            return direct(p, total, in, flags, reply, now);
        }
        if (in != null) {
            if (!NatRewrite.decrementTtl(p)) {
                return timeExceeded(p, total, dst, reply);
            }
            NatRewrite.rewriteDestination(p, ihl, protocol, in.realAddress(), in.realPort());
            table.seen(in, Direction.INPUT, flags, now);
            stats.inbound(total);
            return forward(total);
        }
        TrackedConnection out = table.findOutbound(protocol, src, sport, dst, dport);
        if (out != null) {
            if (!NatRewrite.decrementTtl(p)) {
                return timeExceeded(p, total, out.virtualAddress(), reply);
            }
            NatRewrite.rewriteSource(p, ihl, protocol, out.virtualAddress(), out.virtualPort());
            table.seen(out, Direction.OUTPUT, flags, now);
            stats.outbound(total);
            return forward(total);
        }
        VirtualService service = service(protocol, dst, dport);
        if (service == null) {
            return isVirtualAddress(dst) ? drop(DropReason.NO_SERVICE) : pass(p, total, reply);
        }
        if (protocol == Ipv4.TCP && !startsConnection(service, flags)) {
            return drop(DropReason.NO_ENTRY);
        }
        if (Ipv4.ttl(p, 0) <= 1) {
            return timeExceeded(p, total, dst, reply);
        }
        if (defense.dropNewConnection()) {
            return drop(DropReason.DEFENSE);
        }
        if (table.isFull()) {
            return drop(DropReason.TABLE_FULL);
        }
        PersistenceTemplate template = null;
        Server server;
        if (service.persistent()) {
            template = templates.acquire(service.index(), protocol, src & service.netmask(), dst, service.port(),
                    service.persistenceMillis(), now, () -> schedule(service, src, sport, dst, dport));
            server = template == null ? null : template.server();
        } else {
            server = schedule(service, src, sport, dst, dport);
        }
        // A server added through the admin API by name may have resolved to IPv6, which VS/NAT cannot rewrite to.
        InetSocketAddress real = server == null ? null : server.address();
        if (real == null || !(real.getAddress() instanceof Inet4Address v4)) {
            if (template != null) {
                templates.release(template, now);
            }
            stats.dropped(DropReason.NO_SERVER);
            return reply(p, total, IcmpMessages.DEST_UNREACHABLE, IcmpMessages.PORT_UNREACHABLE, dst, reply);
        }
        int realAddress = Ipv4.address(v4.getAddress());
        int method = method(service, server);
        if (method == TUNNEL) {
            return newTunnelConnection(p, total, service, server, template, realAddress, flags, reply, now);
        }
        if (method == DIRECT) {
            return newDirectConnection(p, total, service, server, template, realAddress, flags, reply, now);
        }
        ConnectionLease lease = server.open();
        // A service of every port sends each connection to the same port on the real server.
        int realPort = service.port() == 0 ? dport : real.getPort();
        TrackedConnection e = table.add(protocol, src, sport, dst, dport, realAddress, realPort,
                service.index(), lease, true, template, now);
        NatRewrite.decrementTtl(p);
        NatRewrite.rewriteDestination(p, ihl, protocol, realAddress, realPort);
        table.seen(e, Direction.INPUT, flags, now);
        stats.inbound(total);
        return forward(total);
    }

    /**
     * A tunnel service's new connection to {@code server}: tracked without replies (the INPUT-ONLY table), its
     * packet sent on through the tunnel. A server the director has no route to is as none at all.
     */
    private Verdict newTunnelConnection(MemorySegment p, int total, VirtualService service, Server server,
                                        PersistenceTemplate template, int realAddress, int flags, MemorySegment reply,
                                        long now) {
        int src = Ipv4.source(p, 0);
        int dst = Ipv4.destination(p, 0);
        int ihl = Ipv4.headerLength(p, 0);
        int sport = Ipv4.sourcePort(p, ihl);
        int dport = Ipv4.destinationPort(p, ihl);
        if (tunnelRoutes.lookup(realAddress, now) == TunnelRouteCache.NO_ROUTE) {
            if (template != null) {
                templates.release(template, now);
            }
            stats.dropped(DropReason.NO_ROUTE);
            return reply(p, total, IcmpMessages.DEST_UNREACHABLE, IcmpMessages.PORT_UNREACHABLE, dst, reply);
        }
        ConnectionLease lease = server.open();
        // The packet is not rewritten: the server takes it on the VIP's port (validation holds the ports equal).
        TrackedConnection e = table.add(Ipv4.protocol(p, 0), src, sport, dst, dport, realAddress, dport,
                service.index(), lease, false, template, now);
        e.forwarding(TUNNEL);
        return tunnel(p, total, e, flags, reply, now);
    }

    /**
     * Sends a client's packet of tunnel connection {@code e} on in IPIP, or answers it: time exceeded when its TTL
     * runs out, fragmentation needed when it is too big for the tunnel with DF set. Only packets sent on move the
     * connection's state.
     */
    private Verdict tunnel(MemorySegment p, int total, TrackedConnection e, int flags, MemorySegment reply,
                           long now) {
        int dst = Ipv4.destination(p, 0);
        if (Ipv4.ttl(p, 0) <= 1) {
            return timeExceeded(p, total, dst, reply);
        }
        long route = tunnelRoutes.lookup(e.realAddress(), now);
        if (route == TunnelRouteCache.NO_ROUTE) {
            return drop(DropReason.NO_ROUTE);
        }
        int mtu = TunnelRouteCache.mtu(route);
        if (total + Ipip.OVERHEAD > mtu && Ipv4.dontFragment(p, 0) || total > Ipip.MAX_INNER) {
            return fragmentationNeeded(p, total, Math.min(mtu, 65_535) - Ipip.OVERHEAD, dst, reply);
        }
        NatRewrite.decrementTtl(p);
        table.seen(e, Direction.INPUT, flags, now);
        stats.inbound(total);
        return forward(Ipip.encapsulate(p, total, TunnelRouteCache.source(route), e.realAddress(), nextIpipId()));
    }

    /**
     * A direct service's new connection to {@code server}: tracked without replies (the INPUT-ONLY table), its packet
     * sent on in a frame to the server's MAC. A server whose MAC is not known takes no connection: the packet is
     * dropped (the client sends its SYN again; the kernel is resolving the MAC meanwhile) and the server counts a
     * failed connect, as a proxy's connect that found no one would.
     */
    private Verdict newDirectConnection(MemorySegment p, int total, VirtualService service, Server server,
                                        PersistenceTemplate template, int realAddress, int flags, MemorySegment reply,
                                        long now) {
        if (neighbours.lookup(realAddress, now) == Neighbours.UNKNOWN) {
            if (template != null) {
                templates.release(template, now);
            }
            server.recordFailure();
            return drop(DropReason.NO_NEIGHBOUR);
        }
        int ihl = Ipv4.headerLength(p, 0);
        int dport = Ipv4.destinationPort(p, ihl);
        ConnectionLease lease = server.open();
        TrackedConnection e = table.add(Ipv4.protocol(p, 0), Ipv4.source(p, 0), Ipv4.sourcePort(p, ihl),
                Ipv4.destination(p, 0), dport, realAddress, dport, service.index(), lease, false, template, now);
        e.forwarding(DIRECT);
        return direct(p, total, e, flags, reply, now);
    }

    /**
     * Sends a client's packet of direct connection {@code e} on in a frame to its server's MAC, or answers it: time
     * exceeded when its TTL runs out, fragmentation needed when it is too big for the interface with DF set (one
     * without DF is dropped: the director does not fragment). Only packets sent on move the connection's state.
     */
    private Verdict direct(MemorySegment p, int total, TrackedConnection e, int flags, MemorySegment reply,
                           long now) {
        int dst = Ipv4.destination(p, 0);
        if (Ipv4.ttl(p, 0) <= 1) {
            return timeExceeded(p, total, dst, reply);
        }
        long mac = neighbours.lookup(e.realAddress(), now);
        if (mac == Neighbours.UNKNOWN) {
            return drop(DropReason.NO_NEIGHBOUR);
        }
        if (total > linkMtu) {
            return Ipv4.dontFragment(p, 0) ? fragmentationNeeded(p, total, linkMtu, dst, reply)
                    : drop(DropReason.TOO_BIG);
        }
        NatRewrite.decrementTtl(p);
        table.seen(e, Direction.INPUT, flags, now);
        stats.inbound(total);
        return frame(total, mac);
    }

    private Verdict frame(int total, long mac) {
        length = total;
        frameDestination = mac;
        return Verdict.FRAME;
    }

    private Verdict fragmentationNeeded(MemorySegment p, int total, int nextHopMtu, int from, MemorySegment reply) {
        stats.dropped(DropReason.TOO_BIG);
        if (Ipv4.protocol(p, 0) == Ipv4.ICMP) {
            return Verdict.DROP;
        }
        length = IcmpMessages.fragmentationNeeded(p, total, nextHopMtu, from, reply);
        stats.countIcmpSent();
        return Verdict.REPLY;
    }

    private int nextIpipId() {
        ipipId = (ipipId + 1) & 0xFFFF;
        return ipipId;
    }

    /**
     * Whether a TCP packet of no tracked connection is scheduled: a SYN; with {@code sloppy_tcp} any packet but a
     * RST (IPVS {@code tcp_conn_schedule}), e.g. the mid-flow ACK of a connection another director started.
     */
    private static boolean startsConnection(VirtualService service, int flags) {
        return (flags & Ipv4.TCP_SYN) != 0 || service.sloppyTcp() && (flags & Ipv4.TCP_RST) == 0;
    }

    private Server schedule(VirtualService service, int src, int sport, int dst, int dport) {
        InetSocketAddress client = socketAddress(src, sport);
        InetSocketAddress destination = socketAddress(dst, dport);
        long key = service.backend().hashKey().keyOf(client, null);
        return service.backend().pick(new PickContext(client, destination, key, List.of(), 0));
    }

    /**
     * An ICMP error quoting a packet of a tracked connection: from the server side (the quoted packet went client
     * to server) it reaches the client from the virtual address; from the client side it reaches the server.
     */
    private Verdict icmp(MemorySegment p, int total, int ihl, MemorySegment reply, long now) {
        if (Ipv4.isLaterFragment(p, 0) || total < ihl + 8) {
            return isVirtualAddress(Ipv4.destination(p, 0)) ? drop(DropReason.MALFORMED) : pass(p, total, reply);
        }
        int type = p.get(ValueLayout.JAVA_BYTE, ihl) & 0xFF;
        int inner = ihl + 8;
        if (!IcmpMessages.isError(type) || total < inner + Ipv4.MIN_HEADER) {
            return isVirtualAddress(Ipv4.destination(p, 0)) ? drop(DropReason.NO_SERVICE) : pass(p, total, reply);
        }
        int innerIhl = Ipv4.headerLength(p, inner);
        int innerProtocol = Ipv4.protocol(p, inner);
        int innerL4 = inner + innerIhl;
        if (innerIhl < Ipv4.MIN_HEADER || (innerProtocol != Ipv4.TCP && innerProtocol != Ipv4.UDP)
                || total < innerL4 + 4) {
            return isVirtualAddress(Ipv4.destination(p, 0)) ? drop(DropReason.NO_SERVICE) : pass(p, total, reply);
        }
        int qsrc = Ipv4.source(p, inner);
        int qdst = Ipv4.destination(p, inner);
        int qsport = Ipv4.sourcePort(p, innerL4);
        int qdport = Ipv4.destinationPort(p, innerL4);
        TrackedConnection toClient = table.findOutbound(innerProtocol, qdst, qdport, qsrc, qsport);
        if (toClient != null && qsrc == toClient.clientAddress()) {
            if (!NatRewrite.decrementTtl(p)) {
                return drop(DropReason.TTL);
            }
            NatRewrite.rewriteAddress(p, 0, true, toClient.virtualAddress());
            NatRewrite.rewriteQuoted(p, total, inner, innerProtocol, false, toClient.virtualAddress(),
                    toClient.virtualPort());
            IcmpMessages.recomputeChecksum(p, ihl, total);
            stats.countIcmpForwarded();
            stats.outbound(total);
            return forward(total);
        }
        TrackedConnection toServer = table.findInbound(innerProtocol, qdst, qdport, qsrc, qsport);
        if (toServer != null && toServer.forwarding() == TUNNEL) {
            // The server sent the quoted packet from the VIP itself: the error goes to it unchanged, through the
            // tunnel (ip_vs_in_icmp hands it to the connection's own transmitter).
            return tunnelIcmp(p, total, toServer, reply, now);
        }
        if (toServer != null && toServer.forwarding() == DIRECT) {
            return directIcmp(p, total, toServer, now);
        }
        if (toServer != null) {
            if (!NatRewrite.decrementTtl(p)) {
                return drop(DropReason.TTL);
            }
            NatRewrite.rewriteAddress(p, 0, false, toServer.realAddress());
            NatRewrite.rewriteQuoted(p, total, inner, innerProtocol, true, toServer.realAddress(),
                    toServer.realPort());
            IcmpMessages.recomputeChecksum(p, ihl, total);
            stats.countIcmpForwarded();
            stats.inbound(total);
            return forward(total);
        }
        return isVirtualAddress(Ipv4.destination(p, 0)) ? drop(DropReason.NO_ENTRY) : pass(p, total, reply);
    }

    private Verdict tunnelIcmp(MemorySegment p, int total, TrackedConnection e, MemorySegment reply, long now) {
        if (!NatRewrite.decrementTtl(p)) {
            return drop(DropReason.TTL);
        }
        long route = tunnelRoutes.lookup(e.realAddress(), now);
        if (route == TunnelRouteCache.NO_ROUTE) {
            return drop(DropReason.NO_ROUTE);
        }
        if (total + Ipip.OVERHEAD > TunnelRouteCache.mtu(route) && Ipv4.dontFragment(p, 0)
                || total > Ipip.MAX_INNER) {
            return drop(DropReason.TOO_BIG); // never an ICMP error about an ICMP error
        }
        stats.countIcmpForwarded();
        stats.inbound(total);
        return forward(Ipip.encapsulate(p, total, TunnelRouteCache.source(route), e.realAddress(), nextIpipId()));
    }

    /** An ICMP error for a direct connection's server: to its MAC unchanged, as the connection's own packets. */
    private Verdict directIcmp(MemorySegment p, int total, TrackedConnection e, long now) {
        if (!NatRewrite.decrementTtl(p)) {
            return drop(DropReason.TTL);
        }
        long mac = neighbours.lookup(e.realAddress(), now);
        if (mac == Neighbours.UNKNOWN) {
            return drop(DropReason.NO_NEIGHBOUR);
        }
        if (total > linkMtu) {
            return drop(DropReason.TOO_BIG); // never an ICMP error about an ICMP error
        }
        stats.countIcmpForwarded();
        stats.inbound(total);
        return frame(total, mac);
    }

    private Verdict pass(MemorySegment p, int total, MemorySegment reply) {
        if (!NatRewrite.decrementTtl(p)) {
            return timeExceeded(p, total, Ipv4.destination(p, 0), reply);
        }
        stats.passed();
        return forward(total);
    }

    private Verdict timeExceeded(MemorySegment p, int total, int from, MemorySegment reply) {
        stats.dropped(DropReason.TTL);
        return reply(p, total, IcmpMessages.TIME_EXCEEDED, 0, from, reply);
    }

    private Verdict reply(MemorySegment p, int total, int type, int code, int from, MemorySegment reply) {
        if (Ipv4.protocol(p, 0) == Ipv4.ICMP) {
            return Verdict.DROP; // never an ICMP error about an ICMP error (RFC 1122 3.2.2)
        }
        length = IcmpMessages.error(p, total, type, code, from, reply);
        stats.countIcmpSent();
        return Verdict.REPLY;
    }

    private Verdict forward(int total) {
        length = total;
        return Verdict.FORWARD;
    }

    private Verdict drop(DropReason reason) {
        stats.dropped(reason);
        length = 0;
        return Verdict.DROP;
    }

    private VirtualService service(int protocol, int address, int port) {
        VirtualService everyPort = null;
        for (VirtualService s : services) {
            if (s.matches(protocol, address, port)) {
                return s;
            }
            if (everyPort == null && s.catchesAllPorts(protocol, address)) {
                everyPort = s;
            }
        }
        return everyPort;
    }

    /** Whether {@code address} is the virtual address of a service. */
    boolean isVirtualAddress(int address) {
        for (VirtualService s : services) {
            if (s.address() == address) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code address} is a real server of a service: a later fragment from one may be part of a reply,
     * which cannot be matched to its connection without ports, so it is dropped rather than leak the server's
     * address. Only fragments ask, so the scan over the servers costs nothing on the common path.
     */
    private boolean isRealServer(int address) {
        for (VirtualService s : services) {
            for (Server server : s.backend().servers()) {
                InetSocketAddress a = server.address();
                if (a != null && a.getAddress() instanceof Inet4Address v4 && Ipv4.address(v4.getAddress()) == address) {
                    return true;
                }
            }
        }
        return false;
    }

    private static InetSocketAddress socketAddress(int address, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(Ipv4.bytes(address)), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
    }
}
