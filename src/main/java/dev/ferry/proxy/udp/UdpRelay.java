package dev.ferry.proxy.udp;

import dev.ferry.backend.Server;
import dev.ferry.proxy.FrontendStats;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The handler of one frontend socket: finds or opens the session of each client datagram, hands the datagram to
 * it, sends the sessions' replies back to their clients from this socket, and expires idle sessions.
 *
 * <p>Threading: every method runs on the socket's event loop, which is also the loop of its sessions' sockets.
 */
final class UdpRelay extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpRelay.class);

    private final UdpFrontend frontend;
    private final SessionTable<InetSocketAddress, UdpSession> sessions;
    /** Sessions written to during this read batch, flushed once at its end. */
    private final ArrayList<UdpSession> unflushed = new ArrayList<>();
    private Channel listener;
    private ScheduledFuture<?> expiryTimer;
    private boolean repliesUnflushed;

    UdpRelay(UdpFrontend frontend) {
        this.frontend = frontend;
        this.sessions = new SessionTable<>();
    }

    UdpFrontend frontend() {
        return frontend;
    }

    Channel listener() {
        return listener;
    }

    @Override
    public boolean isSharable() {
        return false;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        listener = ctx.channel();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        frontend.udpStats().datagramFromClient();
        frontend.stats().addBytesFromClient(packet.content().readableBytes());
        long now = frontend.now();
        InetSocketAddress client = packet.sender();
        if (!frontend.admits(client)) {
            packet.release();
            return;
        }
        UdpSession session = sessions.use(client, now);
        if (session != null && session.serverGone()) {
            // Like IPVS with expire_nodest_conn: a session whose server went down or into maintenance starts over.
            end(session);
            session = null;
        }
        if (session == null) {
            session = open(client, now);
            if (session == null) {
                packet.release();
                return;
            }
        }
        session.fromClient(UdpFrontend.compact(ctx.alloc(), packet.content()));
        if (session.markUnflushed()) {
            unflushed.add(session);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (int i = 0, n = unflushed.size(); i < n; i++) {
            unflushed.get(i).flush();
        }
        unflushed.clear();
        ctx.fireChannelReadComplete();
    }

    private UdpSession open(InetSocketAddress client, long now) {
        FrontendStats stats = frontend.stats();
        if (stats.active() >= frontend.config().maxConnections()) {
            stats.rejectedLimit();
            frontend.udpStats().countTableFull();
            return null;
        }
        UdpSession session = new UdpSession(this, client, (InetSocketAddress) listener.localAddress());
        if (!frontend.perDatagram()) {
            Server chosen = frontend.backend().pick(session.pickContext());
            if (chosen == null) {
                stats.rejectedNoServer();
                log.debug("{}: no server available in backend '{}' for {}", frontend.name(),
                        frontend.backend().name(), client);
                return null;
            }
            session.bind(chosen);
        }
        stats.opened();
        sessions.put(client, session, now);
        session.start();
        if (expiryTimer == null) {
            scheduleExpiry(frontend.idleTimeoutNanos());
        }
        return session;
    }

    /** A reply from a server for {@code session}'s client: sent from this socket. */
    void toClient(UdpSession session, ByteBuf content) {
        if (sessions.use(session.client(), frontend.now()) != session || !listener.isWritable()) {
            content.release();
            if (listener.isActive()) {
                frontend.udpStats().countDroppedBusy();
            }
            return;
        }
        frontend.udpStats().datagramToClient();
        frontend.stats().addBytesToClient(content.readableBytes());
        listener.write(new DatagramPacket(content, session.client()), listener.voidPromise());
        repliesUnflushed = true;
    }

    /** The end of a batch of replies read from one session's socket. */
    void flushReplies() {
        if (repliesUnflushed) {
            repliesUnflushed = false;
            listener.flush();
        }
    }

    /** The session cannot go on (its server is unreachable, its socket failed): it ends now. */
    void failed(UdpSession session) {
        if (sessions.remove(session.client(), session)) {
            session.close();
        }
    }

    private void end(UdpSession session) {
        sessions.remove(session.client(), session);
        session.close();
    }

    private void scheduleExpiry(long delayNanos) {
        expiryTimer = listener.eventLoop().schedule(this::expireIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void expireIdle() {
        long next = sessions.expire(frontend.now(), frontend.idleTimeoutNanos(), session -> {
            frontend.udpStats().sessionExpired();
            session.close();
        });
        expiryTimer = null;
        if (next >= 0 && listener.isActive()) {
            scheduleExpiry(next);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
            expiryTimer = null;
        }
        sessions.clear(UdpSession::close);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A frontend socket does not fail for one bad datagram; say what happened and keep serving.
        log.debug("{}: error on udp socket {}: {}", frontend.name(), listener.localAddress(), cause.toString());
    }
}
