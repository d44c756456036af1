package dev.ferry.proxy;

import dev.ferry.config.FrontendConfig;
import dev.ferry.transport.Reasons;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;

import java.net.BindException;
import java.util.function.Consumer;

/**
 * Binds the listening socket of a stream frontend (tcp, http): accepts on the transport's I/O loops, admits clients
 * through a {@link ConnectionLimiter}, and starts every client with reading off (the frontend decides when to read).
 */
public final class FrontendListener {
    private static final int BACKLOG = 1024;
    private static final int DEFER_ACCEPT_SECONDS = 1;

    private FrontendListener() {
    }

    /**
     * @param halfClosure keep a client's output open after its FIN (tcp relays half-close; http does not)
     * @param deferAccept accept a client only once its first bytes arrived (TCP_DEFER_ACCEPT, with epoll only; for
     *                    protocols where the client speaks first)
     * @param accept      called on the client's event loop once the limiter admitted it
     * @return the listening channel
     * @throws BindException with one line a person can act on, e.g. "cannot listen on 127.0.0.1:80 for frontend
     *                       'web': address already in use"
     */
    public static Channel bind(Transport transport, FrontendConfig config, ConnectionLimiter limiter,
                               boolean halfClosure, boolean deferAccept, WriteBufferWaterMark waterMark,
                               Consumer<Channel> accept)
            throws BindException {
        return bind(transport, config, null, limiter, halfClosure, deferAccept, waterMark, accept);
    }

    /**
     * As above, with {@code gate} (access rules and per-key connection limits; null: none) before the limiter, so a
     * refused client never counts against {@code max_connections}.
     */
    public static Channel bind(Transport transport, FrontendConfig config, ChannelHandler gate,
                               ConnectionLimiter limiter, boolean halfClosure, boolean deferAccept,
                               WriteBufferWaterMark waterMark, Consumer<Channel> accept)
            throws BindException {
        ChannelHandler listening = gate == null ? limiter : new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(gate, limiter);
            }
        };
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.workers())
                .channelFactory(transport.serverChannelFor(config.listen().resolve()))
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(listening)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, halfClosure)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept.accept(ch);
                    }
                });
        if (deferAccept && transport.isEpoll()) {
            // Seconds the kernel waits for the first bytes before handing the connection over anyway.
            b.option(EpollChannelOption.TCP_DEFER_ACCEPT, DEFER_ACCEPT_SECONDS);
        }
        ChannelFuture bound = b.bind(config.listen().resolve()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            BindException e = new BindException("cannot listen on " + config.listen() + " for frontend '"
                    + config.name() + "': " + Reasons.ofBind(bound.cause()));
            e.initCause(bound.cause());
            throw e;
        }
        return bound.channel();
    }
}
