package dev.ferry.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * Answers the length-prefixed DNS messages of one TCP connection (RFC 7766), in order, with backpressure: the
 * channel runs with AUTO_READ off, a message is answered only while the channel is writable (its unwritten answers
 * below the high water mark, {@link DnsResponder#TCP_WATER_MARK}), and the socket is read again only once every
 * complete message read so far has been answered. A client that sends queries and never reads its answers therefore
 * holds at most the high water mark plus one answer of Ferry's memory, plus the one read buffer of queries not yet
 * answered; the kernel's buffers fill and the client's writes block. Such a pause is counted
 * ({@link DnsStats#tcpPaused()}); the idle timeout in front of this handler closes the connection when nothing moves.
 * Everything held is released when the connection closes.
 *
 * <p>Threading: one instance per connection; every method runs on the channel's event loop.
 */
final class TcpQueries extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TcpQueries.class);
    private static final int LENGTH_PREFIX = 2;

    private final Supplier<Responder> responder;
    private final DnsStats stats;
    /** Bytes read and not yet answered: whole messages waiting for writability, then at most one partial one. */
    private ByteBuf pending;
    private boolean paused;

    /** @param responder the responder of the moment (a reload replaces it); read once per message */
    TcpQueries(Supplier<Responder> responder, DnsStats stats) {
        this.responder = responder;
        this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (pending == null) {
            pending = in;
        } else {
            ByteBuf merged = ctx.alloc().buffer(pending.readableBytes() + in.readableBytes());
            merged.writeBytes(pending).writeBytes(in);
            pending.release();
            in.release();
            pending = merged;
        }
        answerWhileWritable(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        readIfDone(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            answerWhileWritable(ctx);
            ctx.flush();
            readIfDone(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Answers the complete messages read so far, as long as the client takes the answers. */
    private void answerWhileWritable(ChannelHandlerContext ctx) {
        while (pending != null && hasWholeMessage()) {
            if (!ctx.channel().isWritable()) {
                if (!paused) {
                    paused = true;
                    stats.countTcpPaused();
                }
                ctx.flush();
                return;
            }
            paused = false;
            int length = pending.readUnsignedShort();
            ByteBuf message = pending.readRetainedSlice(length);
            try {
                ByteBuf response = responder.get().respond(message,
                        (InetSocketAddress) ctx.channel().remoteAddress(),
                        (InetSocketAddress) ctx.channel().localAddress(), true, ctx.alloc());
                if (response != null) {
                    ByteBuf prefix = ctx.alloc().buffer(LENGTH_PREFIX).writeShort(response.readableBytes());
                    ctx.write(prefix, ctx.voidPromise());
                    ctx.write(response, ctx.voidPromise());
                }
            } finally {
                message.release();
            }
        }
        if (pending != null && !pending.isReadable()) {
            pending.release();
            pending = null;
        }
    }

    private boolean hasWholeMessage() {
        return pending.readableBytes() >= LENGTH_PREFIX
                && pending.readableBytes() >= LENGTH_PREFIX + pending.getUnsignedShort(pending.readerIndex());
    }

    /** Reads on once nothing whole is waiting: only a partial message (or nothing) may stay buffered. */
    private void readIfDone(ChannelHandlerContext ctx) {
        if ((pending == null || !hasWholeMessage()) && ctx.channel().isActive()) {
            if (pending != null && pending.readerIndex() > 0) {
                pending.discardReadBytes();
            }
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releasePending();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePending();
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset, or a message the responder could not handle: this connection is over.
        log.debug("dns tcp connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
