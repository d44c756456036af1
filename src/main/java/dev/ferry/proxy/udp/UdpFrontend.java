package dev.ferry.proxy.udp;

import dev.ferry.backend.Backend;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.HostPort;
import dev.ferry.config.UdpOptions;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.proxy.admission.AccessPolicy;
import dev.ferry.proxy.admission.AdmissionStats;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@code mode: udp} frontend: datagrams from each client address and port form a session bound to one server of
 * the backend; the server's replies go back to the client from the frontend's own socket. With
 * {@code udp: {per_datagram: true}} every datagram is scheduled on its own (IPVS one-packet scheduling) and replies
 * from any server go back to the client that sent the datagram.
 *
 * <p>Sockets: with epoll, one socket per event loop on the same address ({@code SO_REUSEPORT}); the kernel keeps a
 * client on one socket, so each loop owns its sessions without locks. With NIO there is one socket. A session has
 * its own socket towards the server(s), on the same loop.
 *
 * <p>Limits: at most {@code max_connections} sessions at once; a datagram that would open one more is dropped and
 * counted ({@link FrontendStats#overLimit()}, {@link UdpStats#tableFull()}). A session ends after
 * {@code timeouts.client_idle} without a datagram in either direction. Datagrams are relayed one for one, never merged
 * or split; up to 65535 bytes each. A datagram meeting a socket with more than the high-water mark queued is dropped
 * and counted, as the network itself would: memory stays bounded.
 *
 * <p>Server accounting: as in IPVS, a UDP session counts as an <em>inactive</em> connection of its server for its
 * whole life (there is no handshake or close to tell data transfer apart), so least-connection schedulers compare
 * sessions. In per-datagram mode each datagram opens and at once closes a lease: servers' totals count datagrams.
 *
 * <p>Threading: {@link #start()} blocks (call off the event loops); all session work runs on the loop of the socket
 * that received the client's datagram.
 */
public final class UdpFrontend implements Frontend {
    /** The largest UDP payload over IPv6 (jumbograms aside); over IPv4 it is 65507. */
    static final int MAX_DATAGRAM = 65_535;
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 * 1024, 512 * 1024);
    /** Unused capacity a relayed datagram's buffer may keep before it is copied into a tight one. */
    static final int COMPACT_SLACK = 4096;

    /** What new sessions are served with; replaced as a whole on reload. */
    private record Settings(FrontendConfig config, UdpOptions udp, Backend backend) {
        Settings(FrontendConfig config, Backend backend) {
            this(config, udp(config), backend);
        }

        /** The {@code udp:} options of a udp frontend's configuration (the only kind this frontend is given). */
        private static UdpOptions udp(FrontendConfig config) {
            if (config.options() instanceof UdpOptions udp) {
                return udp;
            }
            throw new IllegalArgumentException("frontend '" + config.name() + "' is a " + config.mode().key()
                    + " frontend, not udp");
        }
    }

    private final String name;
    private final Transport transport;
    private final FrontendStats stats = new FrontendStats();
    private final UdpStats udpStats = new UdpStats();
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private volatile Settings settings;
    private final AdmissionStats admission = new AdmissionStats();
    /** allow/deny, checked on every datagram from a client. */
    private volatile AccessPolicy access;

    public UdpFrontend(FrontendConfig config, Backend backend, Transport transport) {
        this.name = config.name();
        this.settings = new Settings(config, backend);
        this.access = AccessPolicy.of(config.access());
        this.transport = transport;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FrontendConfig config() {
        return settings.config();
    }

    /** The backend new sessions (and, per datagram, new datagrams) are scheduled on. */
    public Backend backend() {
        return settings.backend();
    }

    /**
     * Same name, still udp, same address: the rest (backend, limits, idle timeout, per_datagram) applies in place.
     * Live sessions keep the server they are bound to.
     */
    @Override
    public boolean canReconfigure(FrontendConfig next) {
        return next.name().equals(name) && settings.config().keepsListenerSettings(next) && listensOn(next.listen());
    }

    @Override
    public boolean listensOn(HostPort address) {
        InetSocketAddress bound = listeners.isEmpty() ? null : (InetSocketAddress) listeners.getFirst().localAddress();
        return settings.config().listensOn(address, bound == null ? 0 : bound.getPort());
    }

    @Override
    public void reconfigure(FrontendConfig next, Map<String, Backend> backends) {
        settings = new Settings(next, backends.get(next.backend().orElseThrow()));
        access = AccessPolicy.of(next.access());
    }

    /**
     * Whether a datagram from {@code client} passes the access rules; one that does not is dropped and counted (on
     * the receiving loop; no allocation for an IPv4 client).
     */
    boolean admits(InetSocketAddress client) {
        AccessPolicy a = access;
        if (a.allowsAll() || a.admits(client.getAddress())) {
            return true;
        }
        admission.rule(AdmissionStats.FRONTEND).countDenied();
        return false;
    }

    @Override
    public AdmissionStats admissionStats() {
        return admission;
    }

    Transport transport() {
        return transport;
    }

    /** Session times are kept on this clock; {@link SessionTable} is tested on a walked timeline instead. */
    long now() {
        return System.nanoTime();
    }

    long idleTimeoutNanos() {
        return settings.config().timeouts().clientIdle().toNanos();
    }

    boolean perDatagram() {
        return settings.udp().perDatagram();
    }

    @Override
    public FrontendStats stats() {
        return stats;
    }

    /** The UDP-specific counters: datagrams, expiries, drops. */
    public UdpStats udpStats() {
        return udpStats;
    }

    /** Sessions open now, over every socket of this frontend. */
    public int sessions() {
        return stats.active();
    }

    /**
     * The datagram in a buffer of its own size. Every read takes a buffer big enough for the largest datagram, but
     * queues are bounded by the bytes they hold, not by their buffers' capacity: a queue of small datagrams in
     * 64 KiB buffers would hold a thousand times its water mark. Takes ownership of {@code content}.
     */
    static ByteBuf compact(ByteBufAllocator alloc, ByteBuf content) {
        int size = content.readableBytes();
        if (content.capacity() - size <= COMPACT_SLACK) {
            return content;
        }
        ByteBuf tight = alloc.directBuffer(size, size);
        tight.writeBytes(content);
        content.release();
        return tight;
    }

    /** A bootstrap for a session's socket towards servers, on the loop of the client's socket. */
    Bootstrap sessionBootstrap(EventLoop loop) {
        return new Bootstrap().group(loop).channel(transport.datagramChannel())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
    }

    @Override
    public InetSocketAddress start() throws BindException {
        FrontendConfig config = settings.config();
        InetSocketAddress address = config.listen().resolve();
        List<EventLoop> loops = new ArrayList<>();
        if (transport.isEpoll()) {
            transport.workers().forEach(e -> loops.add((EventLoop) e));
        } else {
            loops.add(transport.workers().next());
        }
        for (EventLoop loop : loops) {
            UdpRelay relay = new UdpRelay(this);
            Bootstrap b = new Bootstrap().group(loop).channel(transport.datagramChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .handler(relay);
            if (transport.isEpoll()) {
                b.option(EpollChannelOption.SO_REUSEPORT, true);
            }
            ChannelFuture bound = b.bind(address).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                stopAccepting();
                BindException e = new BindException("cannot listen on " + config.listen() + " (udp) for frontend '"
                        + config.name() + "': " + describe(bound.cause()));
                e.initCause(bound.cause());
                throw e;
            }
            listeners.add(bound.channel());
            // The first socket may have been given a port by the kernel (port 0): the others share that port.
            address = (InetSocketAddress) bound.channel().localAddress();
        }
        return address;
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int colon = message.lastIndexOf(": ");
        return (colon >= 0 ? message.substring(colon + 2) : message).toLowerCase(Locale.ROOT);
    }

    /**
     * Closes the frontend's sockets and with them every session: a UDP session has no connection to finish, and
     * without the frontend's socket no reply could reach its client anyway.
     */
    @Override
    public void stopAccepting() {
        for (Channel l : listeners) {
            l.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void closeAll() {
        stopAccepting();
    }
}
