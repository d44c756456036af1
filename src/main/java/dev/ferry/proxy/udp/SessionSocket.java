package dev.ferry.proxy.udp;

import dev.ferry.backend.Server;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;

import java.net.PortUnreachableException;
import java.util.ArrayDeque;

/**
 * One session's socket towards one server, connected to it: the kernel then delivers only that server's datagrams and
 * reports an ICMP port unreachable from it as an error on this socket (an unconnected socket never hears of one), so
 * the failure can be put down to the right server. Session mode has one; per-datagram mode one for each server the
 * session's datagrams went to.
 *
 * <p>Buffer ownership: {@link #send} takes the payload; held datagrams are released on {@link #close}.
 *
 * <p>Threading: every method runs on the session's event loop.
 */
final class SessionSocket {
    /** Datagrams held while the socket is being set up; it is normally ready at once. */
    private static final int MAX_PENDING = 16;

    /** What the socket tells its session. */
    interface Owner {
        /** A datagram from the server, owned by the callee. */
        void reply(SessionSocket socket, ByteBuf content);

        /** The end of a batch of replies. */
        void replyBatchEnded();

        /** The server answered with ICMP port unreachable; the socket is of no more use. */
        void unreachable(SessionSocket socket);

        /** The socket could not be opened or failed otherwise; it is of no more use. */
        void failed(SessionSocket socket, Throwable cause);
    }

    private final Server server;
    private final Owner owner;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(2);
    private Channel channel;
    private boolean ready;
    private boolean unflushed;
    private boolean replied;
    private boolean closed;

    SessionSocket(Server server, Owner owner) {
        this.server = server;
        this.owner = owner;
    }

    Server server() {
        return server;
    }

    /** Opens the socket with {@code bootstrap} (a handler is set here), connected to the server. */
    void open(Bootstrap bootstrap) {
        ChannelFuture f = bootstrap.handler(new Replies()).connect(server.address());
        channel = f.channel();
        if (f.isDone()) {
            opened(f);
        } else {
            f.addListener(done -> opened(f));
        }
    }

    private void opened(ChannelFuture f) {
        if (closed) {
            return;
        }
        if (!f.isSuccess()) {
            owner.failed(this, f.cause());
            return;
        }
        ready = true;
        for (ByteBuf msg; (msg = pending.poll()) != null; ) {
            channel.write(msg, channel.voidPromise());
        }
        channel.flush();
    }

    /**
     * Sends a datagram with {@code content} (owned from here on) at the next {@link #flush}.
     *
     * @return false when it was dropped: too much is queued towards the server already
     */
    boolean send(ByteBuf content) {
        if (closed) {
            content.release();
            return true;
        }
        if (!ready) {
            if (pending.size() < MAX_PENDING) {
                pending.add(content);
                return true;
            }
            content.release();
            return false;
        }
        if (!channel.isWritable()) {
            content.release();
            return false;
        }
        channel.write(content, channel.voidPromise());
        unflushed = true;
        return true;
    }

    void flush() {
        if (unflushed && ready && !closed) {
            unflushed = false;
            channel.flush();
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Closes the socket and releases what it still holds. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ByteBuf msg; (msg = pending.poll()) != null; ) {
            msg.release();
        }
        if (channel != null) {
            channel.close();
        }
    }

    /** Datagrams and errors from the server on this socket. */
    private final class Replies extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ByteBuf content = msg instanceof DatagramPacket p ? p.content() : (ByteBuf) msg;
            if (!replied) {
                // A server that answers serves: its first reply ends a run of failures (UDP's "connect succeeded").
                replied = true;
                server.recordSuccess();
            }
            server.addBytesIn(content.readableBytes());
            owner.reply(SessionSocket.this, UdpFrontend.compact(ctx.alloc(), content));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            owner.replyBatchEnded();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (closed) {
                return;
            }
            if (cause instanceof PortUnreachableException) {
                owner.unreachable(SessionSocket.this);
            } else {
                owner.failed(SessionSocket.this, cause);
            }
        }
    }
}
