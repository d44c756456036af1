package dev.ferry.proxy.tcp;

import dev.ferry.backend.Backend;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.proxy.ConnectionLimiter;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A {@code mode: tcp} frontend: one listening socket whose connections are proxied to one backend.
 *
 * <p>Limits: at most {@code max_connections} client connections are open at once ({@link ConnectionLimiter}). Per
 * connection, Ferry buffers at most one read (up to 64 KiB) plus the
 * peer's write-buffer high-water mark in each direction.
 *
 * <p>Threading: {@link #start()} blocks (call off the event loops); everything per connection runs on the event
 * loop the client connection was assigned to, which is also the server connection's loop.
 */
public final class TcpFrontend implements Frontend {
    /** Pause reading a side once this much is queued towards its peer; resume below the low mark. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private final FrontendConfig config;
    private final Backend backend;
    private final Transport transport;
    private final FrontendStats stats = new FrontendStats();
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Bootstrap serverBootstrap;
    private final long idleTimeoutNanos;
    private volatile Channel listener;

    public TcpFrontend(FrontendConfig config, Backend backend, Transport transport) {
        this.config = config;
        this.backend = backend;
        this.transport = transport;
        BackendConfig bc = backend.config();
        this.idleTimeoutNanos = Math.min(config.timeouts().clientIdle().toNanos(), bc.timeouts().serverIdle().toNanos());
        this.serverBootstrap = new Bootstrap()
                .channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, bc.timeouts().connect().toMillis()));
    }

    @Override
    public String name() {
        return config.name();
    }

    public FrontendConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    Transport transport() {
        return transport;
    }

    long idleTimeoutNanos() {
        return idleTimeoutNanos;
    }

    /** A bootstrap for a server connection on {@code loop}, the loop of the client connection it serves. */
    Bootstrap serverBootstrap(EventLoop loop) {
        return serverBootstrap.clone(loop);
    }

    @Override
    public FrontendStats stats() {
        return stats;
    }

    @Override
    public InetSocketAddress start() throws BindException {
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.acceptors(), transport.workers())
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new ConnectionLimiter(config.maxConnections(), stats))
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                });
        InetSocketAddress address = config.listen().resolve();
        ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            BindException e = new BindException("cannot listen on " + config.listen() + " for frontend '"
                    + config.name() + "': " + describe(bound.cause()));
            e.initCause(bound.cause());
            throw e;
        }
        listener = bound.channel();
        return (InetSocketAddress) listener.localAddress();
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int colon = message.lastIndexOf(": ");
        // Native errors read "bind(..) failed: Address already in use"; keep the part a person understands.
        return (colon >= 0 ? message.substring(colon + 2) : message).toLowerCase(java.util.Locale.ROOT);
    }

    /** Called on the new connection's event loop once {@link ConnectionLimiter} admitted it. */
    private void accept(Channel client) {
        clients.add(client);
        backend.config().tcpKeepalive().ifPresent(k -> transport.applyKeepalive(client, k));
        if (config.proxyProtocol()) {
            client.pipeline().addLast(new HAProxyMessageDecoder());
        }
        client.pipeline().addLast(new TcpProxyConnection(this, client).clientHandler());
    }

    @Override
    public void stopAccepting() {
        Channel l = listener;
        if (l != null) {
            l.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void closeAll() {
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
