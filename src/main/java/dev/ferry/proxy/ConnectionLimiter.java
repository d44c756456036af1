package dev.ferry.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;

import java.util.ArrayDeque;

/**
 * Keeps a frontend at {@code max_connections}, the way HAProxy's maxconn does: at the limit the listener stops
 * accepting, so new clients wait in the kernel's listen backlog (their connect succeeds, their data waits) until a
 * connection closes. Connections the listener had already accepted in the same batch wait here, unregistered; only
 * past {@link #MAX_WAITING} of those is a client reset.
 *
 * <p>Sits in the listening channel's pipeline, before Netty's acceptor. Threading: all state is touched on the
 * listener's event loop; closes on other loops hop over with {@code execute}.
 */
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    static final int MAX_WAITING = 64;

    private volatile int max;
    private final FrontendStats stats;
    private final ArrayDeque<Channel> waiting = new ArrayDeque<>();

    public ConnectionLimiter(int max, FrontendStats stats) {
        this.max = max;
        this.stats = stats;
    }

    /** A reload changed {@code max_connections}: applies to the next admissions. */
    public void setMax(int max) {
        this.max = max;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        if (waiting.isEmpty() && stats.active() < max) {
            admit(ctx, child);
        } else if (waiting.size() < MAX_WAITING) {
            waiting.add(child);
            ctx.channel().config().setAutoRead(false);
        } else {
            stats.rejectedLimit();
            forceReset(child);
        }
    }

    private void admit(ChannelHandlerContext ctx, Channel child) {
        if (stats.opened() >= max) {
            ctx.channel().config().setAutoRead(false);
        }
        child.closeFuture().addListener(f -> {
            stats.closed();
            ctx.executor().execute(() -> admitWaiting(ctx));
        });
        ctx.fireChannelRead(child);
    }

    private void admitWaiting(ChannelHandlerContext ctx) {
        while (!waiting.isEmpty() && stats.active() < max) {
            admit(ctx, waiting.poll());
        }
        Channel listener = ctx.channel();
        if (waiting.isEmpty() && stats.active() < max && listener.isOpen() && !listener.config().isAutoRead()) {
            listener.config().setAutoRead(true);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The listener closed (stop): nobody will admit the waiting clients any more.
        for (Channel child; (child = waiting.poll()) != null; ) {
            forceReset(child);
        }
        ctx.fireChannelInactive();
    }

    private static void forceReset(Channel unregistered) {
        try {
            unregistered.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException ignored) {
            // best effort: the close below is what matters
        }
        unregistered.unsafe().closeForcibly();
        dev.ferry.proxy.admission.ConnectionGate.released(unregistered);
    }

    /** For tests: clients accepted but not yet admitted. */
    int waiting() {
        return waiting.size();
    }
}
