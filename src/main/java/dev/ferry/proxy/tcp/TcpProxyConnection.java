package dev.ferry.proxy.tcp;

import dev.ferry.accesslog.AccessRecord;
import dev.ferry.accesslog.Termination;
import dev.ferry.backend.BackendQueue;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.config.Addresses;
import dev.ferry.proxy.ClientPersistence;
import dev.ferry.schedule.PickContext;
import dev.ferry.transport.LocalFailures;
import dev.ferry.transport.ProxyProtocol;
import dev.ferry.transport.ServerTls;
import dev.ferry.transport.TlsConnectGate;
import dev.ferry.transport.TlsOriginator;
import dev.ferry.transport.Reasons;
import dev.ferry.transport.SendQueue;
import dev.ferry.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One proxied TCP connection: the client's channel, the server's channel and the relay between them.
 *
 * <p>Life: the client is accepted with reading off; a server is picked and connected on the client's event loop; a
 * refused or timed-out connect tries another server (never the same one twice, at most {@code retries} more); once
 * connected, both sides read. Each side reads its next chunk only while the other side is writable, so a slow
 * reader pauses the fast writer instead of growing memory. A FIN from one side becomes a FIN (shutdown of output)
 * towards the other; when both directions have ended, both sockets close. A reset from one side becomes a reset
 * (SO_LINGER 0) towards the other: at once towards the server; towards the client only once it has taken every byte
 * Ferry read from the server before the reset (Ferry's queue flushed and the kernel's send queue empty, as a direct
 * connection would have delivered them), or after the idle timeout if it stops taking them. When no server can take
 * the connection, the client is reset at once.
 *
 * <p>Server accounting ({@link ConnectionLease}): inactive while connecting, active while both directions flow,
 * inactive again once one side half-closed, released when the server socket closes.
 *
 * <p>Threading: every method runs on the client channel's event loop (the server channel is registered on the same
 * loop), so no field needs synchronisation.
 */
final class TcpProxyConnection {
    private static final Logger log = LoggerFactory.getLogger(TcpProxyConnection.class);

    private final TcpFrontend frontend;
    private final TcpFrontend.Settings settings;
    private final Channel client;
    private final Relay clientSide;
    /** The relay of the current server connection; a new one for every connection attempt. */
    private Relay serverSide;
    private Channel server;
    /** The client and the address it connected to: the socket's own, or those a PROXY header stated. */
    private InetSocketAddress source;
    private InetSocketAddress destination;
    private boolean awaitingProxyHeader;
    private ConnectionLease lease;
    private PickContext pick;
    /** The connection's place in its backend's queue while every server is full ({@code queue:}); null otherwise. */
    private BackendQueue.Ticket queued;
    /** The persistence template's hold on this connection, or null (no persistence, or no server yet). */
    private ClientPersistence.Hold hold;
    /** Bytes the client sent before the server connection was up (the kernel may hand them over with a FIN). */
    private ArrayDeque<Object> early;
    private boolean connected;
    /** The PROXY header went already, ahead of the TLS handshake. */
    private boolean proxySent;
    /** The client went away (closed or reset) before the server connection was up: nothing to count or retry. */
    private boolean clientGone;
    private boolean resetting;
    /** The server reset: the client gets what Ferry read from the server, then a reset. */
    private boolean deliveringThenReset;
    /** The client's kernel send queue when last looked at, while delivering before a reset. */
    private int lastSendQueue = Integer.MAX_VALUE;
    private int deliveryPollMillis = DELIVERY_POLL_MIN_MILLIS;
    private boolean closing;
    private long lastActivity;
    private long connectStarted;
    private final long acceptedNanos = System.nanoTime();
    private long connectNanos = -1;
    private long bytesFromClient;
    private long bytesToClient;
    /** How the connection ended, for the access log: the first cause seen wins. */
    private Termination termination;
    private Future<?> idleTimer;

    TcpProxyConnection(TcpFrontend frontend, TcpFrontend.Settings settings, Channel client) {
        this.frontend = frontend;
        this.settings = settings;
        this.client = client;
        this.clientSide = new Relay(true);
    }

    ChannelHandler clientHandler() {
        return clientSide;
    }

    /** The client connection is up: read its PROXY header first when the frontend expects one, then connect. */
    private void accepted() {
        source = (InetSocketAddress) client.remoteAddress();
        destination = (InetSocketAddress) client.localAddress();
        if (settings.config().proxyProtocol()) {
            awaitingProxyHeader = true;
            idleTimer = client.eventLoop().schedule(this::proxyHeaderTimedOut,
                    settings.config().timeouts().requestHeader().toNanos(), TimeUnit.NANOSECONDS);
            client.read();
        } else {
            begin();
        }
    }

    private void proxyHeaderReceived(HAProxyMessage header) {
        try {
            ProxyProtocol.Endpoints stated = ProxyProtocol.endpoints(header);
            if (stated != null) {
                source = stated.source();
                destination = stated.destination();
            }
        } finally {
            header.release();
        }
        awaitingProxyHeader = false;
        idleTimer.cancel(false);
        begin();
    }

    private void proxyHeaderTimedOut() {
        if (awaitingProxyHeader) {
            ended(Termination.PROXY_HEADER_TIMEOUT);
            log.debug("{}: no PROXY header from {} in time", frontend.name(), Addresses.format(client.remoteAddress()));
            client.close();
        }
    }

    private void begin() {
        pick = new PickContext(source, destination, settings.backend().hashKey().keyOf(source, null), List.of(), 0);
        client.closeFuture().addListener(f -> {
            if (hold != null) {
                hold.release();
            }
        });
        connectNext();
    }

    private void connectNext() {
        ClientPersistence persistence = frontend.persistence();
        Server chosen;
        if (persistence != null) {
            hold = persistence.acquire(source, settings.backend(), () -> settings.backend().pick(pick));
            chosen = hold == null ? null : hold.server();
        } else {
            chosen = settings.backend().pick(pick);
        }
        if (chosen == null && pick.attempt() == 0 && waitInQueue()) {
            return;
        }
        if (chosen == null) {
            refuse(pick.attempt() == 0 ? "no server available" : "no further server to try");
            return;
        }
        connectTo(chosen);
    }

    /**
     * Every server is at its {@code max_connections}: waits in the backend's queue when it has one (true: waiting, or
     * reset as the queue is full), else false. While it waits, one read tells whether the client goes away.
     */
    private boolean waitInQueue() {
        BackendQueue q = settings.backend().queue();
        BackendQueue.Ticket t = q == null ? null
                : q.enqueue(dev.ferry.proxy.QueueLoops.of(client.eventLoop()), pick, this::dequeued);
        if (t == null) {
            return false;
        }
        if (t.refused()) {
            refuse("every server is full and so is the queue");
        } else {
            queued = t;
            client.read();
        }
        return true;
    }

    /**
     * The queue let the connection go: to {@code s}, or (null) it waited for the whole queue timeout. With
     * {@code persistence} the client's group gets its template on {@code s} here, or, when another of its
     * connections made one meanwhile, this connection follows that template (which, as in IPVS, does not look at
     * {@code max_connections}).
     */
    private void dequeued(Server s) {
        queued = null;
        if (s == null) {
            refuse("no server had room within the queue timeout");
            return;
        }
        ClientPersistence persistence = frontend.persistence();
        if (persistence != null) {
            hold = persistence.acquire(source, settings.backend(), () -> s);
        }
        connectTo(hold != null ? hold.server() : s);
    }

    private void connectTo(Server chosen) {
        ConnectionLease opened = chosen.open();
        lease = opened;
        serverSide = new Relay(false);
        connectStarted = System.nanoTime();
        // With tls: on the backend the server connection is TLS (HAProxy's "server ... ssl"), the PROXY header first.
        ServerTls tls = settings.backend().tls().forServer(chosen.name(), chosen.address());
        TlsConnectGate[] gate = new TlsConnectGate[1];
        ChannelFuture connecting = settings.serverBootstrap(client.eventLoop())
                .channelFactory(frontend.transport().socketChannelFor(chosen.address()))
                .handler(tls == null ? serverSide : tls.initializer(serverSide,
                        ch -> chosen.sendProxy().ifPresent(v -> ProxyProtocol.write(ch, v, source, destination)),
                        TlsOriginator.Alpn.NONE, settings.backend().config().timeouts().connect().toMillis(),
                        client.eventLoop(), g -> gate[0] = g))
                .connect(chosen.address());
        ChannelFuture connect = gate[0] == null ? connecting : gate[0].follow(connecting);
        proxySent = gate[0] != null;
        server = connect.channel();
        server.closeFuture().addListener(f -> opened.close());
        settings.backend().config().tcpKeepalive().ifPresent(k -> frontend.transport().applyKeepalive(server, k));
        // A socket that could not even be created (out of descriptors) fails on Netty's global executor: come back.
        connect.addListener(f -> {
            if (client.eventLoop().inEventLoop()) {
                connected(connect, chosen);
            } else {
                client.eventLoop().execute(() -> connected(connect, chosen));
            }
        });
    }

    private void connected(ChannelFuture connect, Server chosen) {
        if (clientGone || !client.isActive()) {
            // The client left while Ferry was connecting (often a reset at once: SO_LINGER 0): whatever became of the
            // connect, it says nothing about the server, and there is nobody to retry for.
            if (connect.isSuccess()) {
                chosen.recordSuccess();
                Transport.reset(connect.channel()); // the client vanished (reset): the server must not see a clean end
            } else {
                server = null;
            }
            return;
        }
        if (!connect.isSuccess()) {
            server = null;
            lease.close(); // a socket never created has no close to release it
            String why = Reasons.of(connect.cause());
            if (LocalFailures.isLocal(connect.cause())) {
                // Ferry's own limit (file descriptors, ports, memory): not the server's failure, and no other server
                // would fare better.
                frontend.stats().localFailure();
                refuse("cannot open a connection to " + chosen.name() + ": " + why + " (a limit of this machine, "
                        + "not a failure of the server)");
                return;
            }
            chosen.recordFailure();
            if (pick.attempt() < settings.backend().config().retries()) {
                log.debug("{}: connect to {} ({}) failed: {}; trying another server",
                        frontend.name(), chosen.name(), chosen.address(), why);
                frontend.stats().retried();
                if (hold != null) {
                    hold.retire(); // the group's template goes with the server that failed it
                }
                pick = pick.retryAvoiding(chosen);
                connectNext();
            } else {
                refuse("last connect to " + chosen.name() + " failed: " + why);
            }
            return;
        }
        chosen.recordSuccess();
        connected = true;
        lease.activate();
        // At layer 4 the only latency Ferry sees is the connect time: that is what ewma compares.
        lastActivity = System.nanoTime();
        connectNanos = lastActivity - connectStarted;
        chosen.recordLatencyNanos(connectNanos);
        if (!proxySent) {
            chosen.sendProxy().ifPresent(version -> ProxyProtocol.write(server, version, source, destination));
        }
        scheduleIdleCheck(settings.idleTimeoutNanos());
        for (Object msg; early != null && (msg = early.poll()) != null; ) {
            clientSide.relay(msg);
        }
        if (clientSide.inputEnded) {
            clientSide.passEof();
        } else {
            server.flush();
            client.read();
        }
        server.read();
    }

    private void ended(Termination why) {
        if (termination == null) {
            termination = why;
        }
    }

    /** Reports the finished connection to the access log; called once, when the client socket has closed. */
    private void logAccess() {
        Server server = lease == null ? null : lease.server();
        long now = System.nanoTime();
        settings.accessLog().log(new AccessRecord(System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(now - acceptedNanos),
                source == null ? Addresses.format(client.remoteAddress()) : Addresses.format(source), frontend.name(),
                settings.backend().name(), server == null ? "-" : server.name(), 0, "-", bytesFromClient, bytesToClient,
                connectNanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(connectNanos),
                TimeUnit.NANOSECONDS.toMillis(now - acceptedNanos), termination == null ? Termination.CLOSED : termination, "-"));
    }

    private void refuse(String why) {
        ended(Termination.NO_SERVER);
        releaseEarly();
        frontend.stats().rejectedNoServer();
        frontend.refusals().warn("{}: reset client {}: {} in backend '{}'", frontend.name(),
                Addresses.format(client.remoteAddress()), why, settings.backend().name());
        Transport.reset(client);
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleTimer = client.eventLoop().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The idle timeout, which also bounds a close: a side that neither sends nor takes what Ferry has for it (a
     * client that never reads) for that long is reset, so that its descriptor and its place under
     * {@code max_connections} are freed.
     */
    private void checkIdle() {
        if (!client.isOpen() && (server == null || !server.isOpen())) {
            return;
        }
        long idleFor = System.nanoTime() - lastActivity;
        long timeout = settings.idleTimeoutNanos();
        if (idleFor >= timeout) {
            ended(Termination.IDLE_TIMEOUT);
            boolean draining = closing || deliveringThenReset;
            log.debug("{}: {} {} after {} ms without traffic", frontend.name(), draining ? "resetting" : "closing",
                    client.remoteAddress(), TimeUnit.NANOSECONDS.toMillis(idleFor));
            closing = true;
            closeOrReset(client, draining);
            if (server != null) {
                closeOrReset(server, draining);
            }
        } else {
            scheduleIdleCheck(timeout - idleFor);
        }
    }

    /** Closes {@code channel}, with a reset when what Ferry queued for it cannot be delivered any more. */
    private static void closeOrReset(Channel channel, boolean stuckDraining) {
        if (!channel.isOpen()) {
            return;
        }
        ChannelOutboundBuffer queued = channel.unsafe().outboundBuffer();
        if (stuckDraining || (queued != null && queued.totalPendingWriteBytes() > 0)) {
            Transport.reset(channel);
        } else {
            channel.close();
        }
    }

    /** The client closed or reset before the server connection was up: stop connecting (called once it is gone). */
    private void clientLeftWhileConnecting() {
        if (connected || clientGone) {
            return;
        }
        clientGone = true;
        if (queued != null) {
            queued.cancel(); // still waiting for a server: leaves the queue, takes no slot
            queued = null;
        }
        Channel connecting = server;
        if (connecting != null) {
            // Fails the connect, which connected() then ignores. The server's kernel may have completed the handshake
            // already (Ferry's loop has not heard yet): a plain close would show the server a clean end, so reset.
            Transport.reset(connecting);
        }
    }

    private void releaseEarly() {
        for (Object msg; early != null && (msg = early.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Both directions ended: flush what is queued, then close both sockets. The idle timer keeps running until both
     * are closed: a side that does not drain in time is reset ({@link #checkIdle()}).
     */
    private void closeBoth() {
        if (closing || deliveringThenReset) {
            return; // a client being delivered to before its reset ends with the reset, not a close
        }
        closing = true;
        flushAndClose(client);
        if (server != null) {
            flushAndClose(server);
        }
    }

    /**
     * The server reset: deliver to the client what Ferry read from the server before the reset, then reset the client.
     * The client is no longer read from (its bytes have nowhere to go).
     */
    private void resetClientAfterDelivering() {
        if (deliveringThenReset) {
            return;
        }
        deliveringThenReset = true;
        if (!client.isActive()) {
            Transport.reset(client);
            return;
        }
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (f.isSuccess()) {
                resetOnceDelivered();
            } else {
                Transport.reset(client);
            }
        });
    }

    /**
     * Resets the client once its kernel send queue is empty (the client acknowledged every byte). The kernel gives no
     * event for that, so the queue is looked at again after {@value #DELIVERY_POLL_MIN_MILLIS} ms, the wait doubling
     * while the queue does not shrink (up to {@value #DELIVERY_POLL_MAX_MILLIS} ms). Progress counts as activity, so
     * the idle timeout resets a client that stops taking them.
     */
    private void resetOnceDelivered() {
        if (!client.isOpen()) {
            return;
        }
        int queued = SendQueue.bytes(client);
        if (queued <= 0) {
            // Empty, or the transport cannot tell: Netty's own queue at least is delivered to the kernel.
            Transport.reset(client);
            return;
        }
        if (queued < lastSendQueue) {
            lastActivity = System.nanoTime();
            deliveryPollMillis = DELIVERY_POLL_MIN_MILLIS;
        } else {
            deliveryPollMillis = Math.min(2 * deliveryPollMillis, DELIVERY_POLL_MAX_MILLIS);
        }
        lastSendQueue = queued;
        client.eventLoop().schedule(this::resetOnceDelivered, deliveryPollMillis, TimeUnit.MILLISECONDS);
    }

    private static final int DELIVERY_POLL_MIN_MILLIS = 5;
    private static final int DELIVERY_POLL_MAX_MILLIS = 320;

    /** The other side of {@code fromClient}'s side reset: a server at once, a client after delivering to it. */
    private void resetPeer(boolean fromClient, Channel peer) {
        if (fromClient) {
            Transport.reset(peer);
        } else {
            resetClientAfterDelivering();
        }
    }

    private static void flushAndClose(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> channel.close());
        } else {
            channel.close();
        }
    }

    /** One direction's relay: reads from its own channel and writes to the peer. */
    private final class Relay extends ChannelInboundHandlerAdapter {
        private final boolean fromClient;
        private boolean inputEnded;

        Relay(boolean fromClient) {
            this.fromClient = fromClient;
        }

        private Channel peer() {
            return fromClient ? server : client;
        }

        private Relay peerRelay() {
            return fromClient ? serverSide : clientSide;
        }

        @Override
        public boolean isSharable() {
            return false;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (fromClient) {
                accepted();
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HAProxyMessage header) {
                proxyHeaderReceived(header);
                return;
            }
            if (!connected) {
                if (early == null) {
                    early = new ArrayDeque<>(2);
                }
                early.add(msg);
                return;
            }
            relay(msg);
        }

        void relay(Object msg) {
            Channel peer = peer();
            if (peer == null || !peer.isActive()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            int bytes = ((ByteBuf) msg).readableBytes();
            if (fromClient) {
                bytesFromClient += bytes;
                frontend.stats().addBytesFromClient(bytes);
                lease.server().addBytesOut(bytes);
            } else {
                bytesToClient += bytes;
                frontend.stats().addBytesToClient(bytes);
                lease.server().addBytesIn(bytes);
            }
            lastActivity = System.nanoTime();
            peer.write(msg, peer.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (awaitingProxyHeader) {
                ctx.read(); // the header may arrive in pieces
                return;
            }
            Channel peer = peer();
            if (!connected || peer == null) {
                return;
            }
            peer.flush();
            if (peer.isWritable()) {
                ctx.read();
            }
            // else: the peer's writability change (below, on the peer's relay) resumes reading here.
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            lastActivity = System.nanoTime(); // this side takes what Ferry writes (or has stopped taking it)
            Channel peer = peer();
            if (ctx.channel().isWritable() && peer != null && !peerRelay().inputEnded) {
                peer.read();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                inputEnded();
            }
            ReferenceCountUtil.release(evt);
        }

        /** This side sent FIN: pass it on as a FIN to the peer once everything before it is written. */
        private void inputEnded() {
            if (inputEnded) {
                return;
            }
            inputEnded = true;
            ended(fromClient ? Termination.CLIENT_CLOSED : Termination.SERVER_CLOSED);
            if (connected) {
                passEof();
            }
            // else: connected() passes the FIN on once the server connection is up.
        }

        void passEof() {
            lease.deactivate();
            Channel peer = peer();
            boolean both = peerRelay().inputEnded;
            if (peer == null || !peer.isActive()) {
                closeBoth();
                return;
            }
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                if (both) {
                    closeBoth();
                } else if (f.isSuccess() && peer.isActive() && peer instanceof DuplexChannel duplex
                        && !duplex.isOutputShutdown()) {
                    duplex.shutdownOutput();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == client) {
                clientLeftWhileConnecting();
                releaseEarly();
                if (settings.accessLog().enabled()) {
                    logAccess();
                }
            }
            if (idleTimer != null && !client.isOpen() && (server == null || !server.isOpen())) {
                idleTimer.cancel(false);
            }
            Channel peer = peer();
            if (peer != null && peer.isOpen()) {
                Relay peerRelay = peerRelay();
                // A side that closed by itself, neither closed by Ferry nor ended in both directions, was reset: with
                // epoll, a reset on a half-closed socket shows only as its closing (StayInEpollSet).
                boolean vanished = !closing && !(inputEnded && peerRelay != null && peerRelay.inputEnded);
                if (vanished && !resetting) {
                    resetting = true;
                    ended(fromClient ? Termination.CLIENT_RESET : Termination.SERVER_RESET);
                    log.debug("{}: {} side of {} went away", frontend.name(), fromClient ? "client" : "server",
                            Addresses.format(client.remoteAddress()));
                }
                if (resetting) {
                    resetPeer(fromClient, peer);
                } else {
                    closeBoth();
                }
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Channel peer = peer();
            if (cause instanceof IOException) {
                // A reset (or a write into a reset socket): the other side must see a reset too, not a clean close.
                log.debug("{}: {} side of {} failed: {}", frontend.name(), fromClient ? "client" : "server",
                        client.remoteAddress(), cause.getMessage());
                resetting = true;
                ended(fromClient ? Termination.CLIENT_RESET : Termination.SERVER_RESET);
                if (fromClient) {
                    clientLeftWhileConnecting();
                } else if (lease != null) {
                    lease.server().recordFailure();
                }
                if (peer != null) {
                    resetPeer(fromClient, peer);
                }
                Transport.reset(ctx.channel());
            } else if (cause instanceof DecoderException && awaitingProxyHeader) {
                ended(Termination.BAD_PROXY_HEADER);
                frontend.stats().badProxyHeader();
                log.debug("{}: bad PROXY header from {}: {}", frontend.name(), Addresses.format(client.remoteAddress()),
                        Reasons.of(cause));
                awaitingProxyHeader = false;
                client.close();
            } else {
                log.warn("{}: closing connection from {}: {}", frontend.name(), client.remoteAddress(), Reasons.of(cause));
                log.debug("stack trace", cause);
                closeBoth();
            }
        }
    }
}
