package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.config.Addresses;
import dev.ferry.config.DnsConfig;
import dev.ferry.config.HostPort;
import dev.ferry.transport.Reasons;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The DNS responder of {@code dns:}: answers on {@code dns.listen} over UDP (with epoll, one socket per event loop
 * sharing the port) and TCP (length-prefixed messages, several per connection, RFC 7766). What it answers is
 * described on {@code Responder}; its counters are {@link #stats()}.
 *
 * <p>Limits: a TCP connection idle for {@link #TCP_IDLE_SECONDS} is closed (a client that does not read its answers
 * is idle too); at most {@link #MAX_TCP_CONNECTIONS} are open at once (further ones are closed at once); each holds
 * at most {@link #TCP_WATER_MARK}'s high mark of unsent answers before it stops being read ({@link TcpQueries}). Every answer is computed on the event loop that read the query,
 * from in-memory state: nothing blocks.
 *
 * <p>Threading: {@link #start()} and {@link #stop()} block (call off the event loops).
 */
public final class DnsResponder {
    private static final Logger log = LoggerFactory.getLogger(DnsResponder.class);
    static final int TCP_IDLE_SECONDS = 10;
    static final int MAX_TCP_CONNECTIONS = 1024;
    /**
     * Unwritten answer bytes one TCP connection may hold: above the high mark no further query of it is answered
     * (nor read) until the client has taken the answers down to the low mark.
     */
    static final WriteBufferWaterMark TCP_WATER_MARK = new WriteBufferWaterMark(16 * 1024, 64 * 1024);
    private static final int PORT_ZERO_ATTEMPTS = 10;

    private final Transport transport;
    private final Clock clock;
    private final DnsStats stats = new DnsStats();
    private volatile DnsConfig config;
    private volatile Responder responder;
    private volatile InetSocketAddress address;
    private final List<Channel> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ChannelGroup tcpConnections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

    /**
     * @param backends the running backends by name; every backend a record names must be there
     */
    public DnsResponder(DnsConfig config, Map<String, Backend> backends, Transport transport) {
        this(config, backends, transport, Clock.systemUTC());
    }

    DnsResponder(DnsConfig config, Map<String, Backend> backends, Transport transport, Clock clock) {
        this.config = config;
        this.transport = transport;
        this.clock = clock;
        this.responder = new Responder(config, backends, serial(), stats);
        stats.tcpGauges(tcpConnections::size, this::tcpPendingBytes);
    }

    /** Answer bytes written to TCP connections and not yet sent, over every connection. */
    private long tcpPendingBytes() {
        long total = 0;
        for (Channel c : tcpConnections) {
            io.netty.channel.ChannelOutboundBuffer out = c.unsafe().outboundBuffer();
            if (out != null) {
                total += out.totalPendingWriteBytes();
            }
        }
        return total;
    }

    /** The SOA serial: the time in seconds, so that it grows with every start and reload. */
    private long serial() {
        return clock.instant().getEpochSecond() & 0xffffffffL;
    }

    /**
     * Answers from {@code next}'s zones and {@code backends} from now on (hot reload), on the same sockets; queries
     * being answered finish with what they started with. Only when {@link #listensOn} the new address.
     */
    public void reconfigure(DnsConfig next, Map<String, Backend> backends) {
        responder = new Responder(next, backends, serial(), stats);
        config = next;
    }

    /** True when this responder listens on {@code listen} as written: the same address, or the port it got for 0. */
    public boolean listensOn(HostPort listen) {
        InetSocketAddress bound = address;
        return listen.equals(config.listen()) || (bound != null && listen.host().equals(config.listen().host())
                && listen.port() == bound.getPort());
    }

    /** The address it answers on, once started. */
    public InetSocketAddress address() {
        return address;
    }

    public DnsStats stats() {
        return stats;
    }

    /**
     * Binds UDP, then TCP on the same port. When the configuration says port 0, the port UDP was given may be taken
     * for TCP; then both are given up and another port is tried, a few times.
     *
     * @return the bound address
     * @throws BindException when the address is in use or cannot be assigned
     */
    public InetSocketAddress start() throws BindException {
        int attempts = config.listen().port() == 0 ? PORT_ZERO_ATTEMPTS : 1;
        for (int attempt = 1; ; attempt++) {
            try {
                return bindBoth();
            } catch (BindException e) {
                if (attempt >= attempts) {
                    throw e;
                }
                log.debug("dns: {}; trying another port", e.getMessage());
            }
        }
    }

    private InetSocketAddress bindBoth() throws BindException {
        InetSocketAddress address = config.listen().resolve();
        List<EventLoop> loops = new ArrayList<>();
        if (transport.isEpoll()) {
            transport.workers().forEach(e -> loops.add((EventLoop) e));
        } else {
            loops.add(transport.workers().next());
        }
        UdpHandler udp = new UdpHandler();
        for (EventLoop loop : loops) {
            Bootstrap b = new Bootstrap().group(loop).channel(transport.datagramChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(Responder.MAX_TCP_MESSAGE))
                    .handler(udp);
            if (transport.isEpoll()) {
                b.option(EpollChannelOption.SO_REUSEPORT, true);
            }
            address = bind(b.bind(address), "udp");
        }
        ServerBootstrap tcp = new ServerBootstrap().group(transport.workers())
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TCP_WATER_MARK)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tcpConnections.size() >= MAX_TCP_CONNECTIONS) {
                            stats.countTcpRefused();
                            ch.close();
                            return;
                        }
                        tcpConnections.add(ch);
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, TCP_IDLE_SECONDS, TimeUnit.SECONDS),
                                new TcpQueries(() -> responder, stats));
                    }
                });
        address = bind(tcp.bind(address), "tcp");
        this.address = address;
        log.info("DNS responder on {} (udp and tcp) for {}", Addresses.format(address),
                config.zones().stream().map(z -> z.origin()).toList());
        return address;
    }

    private InetSocketAddress bind(ChannelFuture future, String protocol) throws BindException {
        future.awaitUninterruptibly();
        if (!future.isSuccess()) {
            stop();
            Throwable cause = future.cause();
            BindException e = new BindException("cannot listen on " + config.listen() + " (" + protocol
                    + ") for dns: " + Reasons.ofBind(cause));
            e.initCause(cause);
            throw e;
        }
        listeners.add(future.channel());
        return (InetSocketAddress) future.channel().localAddress();
    }

    /** Closes the sockets and every TCP connection. Idempotent. */
    public void stop() {
        for (Channel c : listeners) {
            c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        listeners.clear();
        tcpConnections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Answers datagrams; one instance serves every UDP socket (it keeps no state of its own). */
    @ChannelHandler.Sharable
    private final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf response = responder.respond(packet.content(), packet.sender(), packet.recipient(), false,
                    ctx.alloc());
            if (response != null) {
                ctx.write(new DatagramPacket(response, packet.sender()), ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // One bad datagram must not stop the responder; the socket stays open.
            log.debug("dns udp socket {}: {}", ctx.channel().localAddress(), cause.toString());
        }
    }
}
