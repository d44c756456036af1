package dev.ferry.proxy.udp;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.schedule.PickContext;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One client address and port: its own socket towards the server(s) and, unless per-datagram, the server it is
 * bound to and that server's lease (inactive for the session's life, as IPVS counts UDP).
 *
 * <p>In session mode the socket is connected to the server, so the kernel delivers only that server's datagrams
 * (and reports ICMP port unreachable, which ends the session). In per-datagram mode the socket is unconnected: each
 * datagram is sent to the server picked for it, and a datagram from any server goes back to the client.
 *
 * <p>Threading: every method runs on the event loop of the frontend socket that opened the session.
 */
final class UdpSession {
    private static final Logger log = LoggerFactory.getLogger(UdpSession.class);
    /** Datagrams held while the session's socket is being set up; it is normally ready at once. */
    private static final int MAX_PENDING = 16;

    private final UdpRelay relay;
    private final InetSocketAddress client;
    private final PickContext pick;
    private final ArrayDeque<Object> pending = new ArrayDeque<>(2);
    private Server server;
    private ConnectionLease lease;
    private Channel upstream;
    private boolean ready;
    private boolean unflushed;
    private boolean closed;

    UdpSession(UdpRelay relay, InetSocketAddress client, InetSocketAddress destination) {
        this.relay = relay;
        this.client = client;
        UdpFrontend frontend = relay.frontend();
        this.pick = new PickContext(client, destination, frontend.backend().hashKey().keyOf(client, null), List.of(),
                0);
    }

    InetSocketAddress client() {
        return client;
    }

    PickContext pickContext() {
        return pick;
    }

    /** Binds the session to {@code chosen} (session mode); counted as one inactive connection of it. */
    void bind(Server chosen) {
        server = chosen;
        lease = chosen.open();
    }

    /** True when the bound server left the pool (down or in maintenance), so the session should start over. */
    boolean serverGone() {
        return server != null && (!server.healthy() || server.state() == ServerState.MAINT);
    }

    void start() {
        UdpFrontend frontend = relay.frontend();
        var bootstrap = frontend.sessionBootstrap(relay.listener().eventLoop()).handler(new Replies());
        ChannelFuture f = server != null ? bootstrap.connect(server.address())
                : bootstrap.bind(new InetSocketAddress(0));
        upstream = f.channel();
        if (f.isDone()) {
            started(f);
        } else {
            f.addListener(done -> started(f));
        }
    }

    private void started(ChannelFuture f) {
        if (closed) {
            return;
        }
        if (!f.isSuccess()) {
            log.debug("{}: cannot open a socket for {} towards {}: {}", relay.frontend().name(), client,
                    server == null ? "servers" : server.address(), f.cause().toString());
            if (server != null) {
                server.recordFailure();
            }
            relay.failed(this);
            return;
        }
        ready = true;
        for (Object msg; (msg = pending.poll()) != null; ) {
            upstream.write(msg, upstream.voidPromise());
        }
        upstream.flush();
    }

    /** A client datagram's payload, owned from here on. */
    void fromClient(ByteBuf content) {
        if (closed) {
            content.release();
            return;
        }
        UdpFrontend frontend = relay.frontend();
        Object msg;
        int bytes = content.readableBytes();
        if (server != null) {
            server.addBytesOut(bytes);
            msg = content;
        } else {
            Server chosen = frontend.backend().pick(pick);
            if (chosen == null) {
                frontend.stats().rejectedNoServer();
                content.release();
                return;
            }
            // One-packet scheduling: the datagram is the whole "connection".
            chosen.open().close();
            chosen.addBytesOut(bytes);
            msg = new DatagramPacket(content, chosen.address());
        }
        if (!ready) {
            if (pending.size() < MAX_PENDING) {
                pending.add(msg);
            } else {
                frontend.udpStats().countDroppedBusy();
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (!upstream.isWritable()) {
            frontend.udpStats().countDroppedBusy();
            ReferenceCountUtil.release(msg);
            return;
        }
        upstream.write(msg, upstream.voidPromise());
    }

    /** Marks the session as written to in this read batch; true the first time, so it is flushed once. */
    boolean markUnflushed() {
        if (unflushed) {
            return false;
        }
        unflushed = true;
        return true;
    }

    void flush() {
        unflushed = false;
        if (ready && !closed) {
            upstream.flush();
        }
    }

    /** Ends the session: closes its socket, releases its lease and anything still held. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Object msg; (msg = pending.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
        if (upstream != null) {
            upstream.close();
        }
        if (lease != null) {
            lease.close();
        }
        relay.frontend().stats().closed();
    }

    /** Datagrams from the server(s) on the session's own socket. */
    private final class Replies extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf content = msg instanceof DatagramPacket p ? p.content() : (ByteBuf) msg;
            if (closed) {
                content.release();
                return;
            }
            if (server != null) {
                server.addBytesIn(content.readableBytes());
            }
            relay.toClient(UdpSession.this, UdpFrontend.compact(ctx.alloc(), content));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            relay.flushReplies();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof PortUnreachableException) {
                relay.frontend().udpStats().countServerUnreachable();
                log.debug("{}: server {} unreachable for {}", relay.frontend().name(), server, client);
            } else {
                log.debug("{}: session socket for {} failed: {}", relay.frontend().name(), client, cause.toString());
            }
            if (server != null) {
                server.recordFailure();
            }
            relay.failed(UdpSession.this);
        }
    }
}
