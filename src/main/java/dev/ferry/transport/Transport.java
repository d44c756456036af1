package dev.ferry.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import dev.ferry.config.KeepaliveConfig;
import jdk.net.ExtendedSocketOptions;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;

/**
 * The network transport: native epoll on Linux when it loads, NIO elsewhere. One instance owns Ferry's event loops
 * (one per core by default); client and server channels of one proxied connection share a loop. Listeners accept on
 * these same loops (as each HAProxy thread does), so {@code --threads 1} really is one thread and an accepted
 * connection needs no hand-off to another thread.
 *
 * <p>Threading: immutable after construction; safe to share.
 */
public final class Transport implements AutoCloseable {
    private final boolean epoll;
    private final EventLoopGroup workers;

    public Transport(int threads) {
        this(threads, Epoll.isAvailable());
    }

    public Transport(int threads, boolean preferEpoll) {
        this.epoll = preferEpoll && Epoll.isAvailable();
        // Every loop flushes through its LoopFlusher once the ready sockets are drained (FlushWhenDrained).
        // With epoll, sockets stay in the epoll set while their interest is nothing (StayInEpollSet: half-closure).
        IoHandlerFactory io = epoll ? StayInEpollSet.around(EpollIoHandler.newFactory(0, FlushWhenDrained::new))
                : NioIoHandler.newFactory(SelectorProvider.provider(), FlushWhenDrained::new);
        this.workers = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("ferry-io", true), io);
    }

    /** The default number of event loops: one per available core. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public boolean isEpoll() {
        return epoll;
    }

    public String name() {
        return epoll ? "epoll" : "nio";
    }

    public EventLoopGroup workers() {
        return workers;
    }

    public Class<? extends ServerChannel> serverChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public Class<? extends SocketChannel> socketChannel() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /**
     * Listening channels for {@code address}: with epoll an IPv4 address gets an IPv4 socket rather than a
     * dual-stack IPv6 one (Netty's default), whose every receive and send goes through the kernel's IPv6 layer first.
     */
    public ChannelFactory<ServerChannel> serverChannelFor(InetSocketAddress address) {
        if (epoll && address.getAddress() instanceof Inet4Address) {
            return () -> new EpollServerSocketChannel(SocketProtocolFamily.INET);
        }
        return new ReflectiveChannelFactory<>(serverChannel());
    }

    /** Channels that connect to {@code address}, of its family (see {@link #serverChannelFor}). */
    public ChannelFactory<SocketChannel> socketChannelFor(InetSocketAddress address) {
        if (epoll && address.getAddress() instanceof Inet4Address) {
            return () -> new EpollSocketChannel(SocketProtocolFamily.INET);
        }
        return new ReflectiveChannelFactory<>(socketChannel());
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /**
     * Turns on SO_KEEPALIVE with the given probe timing. With epoll the per-socket TCP_KEEPIDLE/INTVL/CNT are set;
     * with NIO the JDK's extended socket options are used where the platform has them.
     */
    public void applyKeepalive(Channel channel, KeepaliveConfig keepalive) {
        channel.config().setOption(ChannelOption.SO_KEEPALIVE, true);
        int idle = (int) Math.max(1, keepalive.idle().toSeconds());
        int interval = (int) Math.max(1, keepalive.interval().toSeconds());
        if (epoll) {
            channel.config().setOption(EpollChannelOption.TCP_KEEPIDLE, idle);
            channel.config().setOption(EpollChannelOption.TCP_KEEPINTVL, interval);
            channel.config().setOption(EpollChannelOption.TCP_KEEPCNT, keepalive.count());
        } else {
            channel.config().setOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), idle);
            channel.config().setOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), interval);
            channel.config().setOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), keepalive.count());
        }
    }

    /** Closes a channel so that the peer sees a reset (SO_LINGER 0), not a clean FIN. */
    public static void reset(Channel channel) {
        if (channel.isOpen()) {
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // The socket may already be gone; closing is all that is left to do.
            }
            channel.close();
        }
    }

    @Override
    public void close() {
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.terminationFuture().syncUninterruptibly();
    }
}
