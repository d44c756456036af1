package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.health.Timeline;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.transport.ProxyProtocol;
import dev.ferry.transport.ServerTls;
import dev.ferry.transport.TlsConnectGate;
import dev.ferry.transport.TlsOriginator;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Idle keep-alive connections to servers, for one event loop of one frontend (OkHttp's pool, HAProxy's idle server
 * connections). Per server, at most {@code maxIdlePerServer} wait here, youngest first: the next request takes the
 * most recently used one (warm, least likely to have been closed by the server), and connections idle for longer
 * than the backend's {@code server_idle} are closed by a sweep.
 *
 * <p>Servers that speak h2c or h2 are served by the loop's {@link Http2UpstreamPool} instead: streams of shared
 * connections. With {@code tls:} on the backend (or the server) connections are TLS, pooled and reused as plain ones
 * are; a connection is handed out only once its handshake is done. Connections past the backend's {@code max_connection_age} take no further request.
 *
 * <p>A connection is returned only between two complete exchanges (whole request sent, whole response received,
 * both keep-alive, no error); anything else is closed instead, so no pooled connection is ever in the middle of a
 * message.
 *
 * <p>Threading: confined to its event loop; the frontend reaches it only from that loop (or, for
 * {@link #closeAll()}, by scheduling onto it).
 */
final class UpstreamPool {
    private final EventLoop loop;
    /** The loop's clock and timer (idle since, the sweep). */
    private final Timeline timeline;
    private final Transport transport;
    private final Bootstrap bootstrap;
    private final int maxIdlePerServer;
    private final FrontendStats stats;
    private final IdentityHashMap<Server, ArrayDeque<UpstreamConnection>> idle = new IdentityHashMap<>();
    /** Streams on HTTP/2 connections, for servers that speak h2c. */
    private final Http2UpstreamPool http2;
    private boolean sweepScheduled;

    /**
     * @param bootstrap a bootstrap for server channels (options set; group and handler are filled in here)
     */
    UpstreamPool(EventLoop loop, Timeline timeline, Transport transport, Bootstrap bootstrap, int maxIdlePerServer,
                 FrontendStats stats) {
        this.loop = loop;
        this.timeline = timeline;
        this.stats = stats;
        this.transport = transport;
        this.bootstrap = bootstrap.clone(loop);
        this.maxIdlePerServer = maxIdlePerServer;
        this.http2 = new Http2UpstreamPool(loop, timeline, transport, this.bootstrap);
    }

    /** What {@link #open} reports once the connect ended, on the pool's event loop. */
    interface Opened {
        /**
         * @param stream  the stream {@link #open} returned: claimed for its listener when connected
         * @param failure why the connect failed (the stream is then closed), or null when connected
         */
        void opened(UpstreamStream stream, Throwable failure);
    }

    /**
     * The youngest idle connection to {@code server} (HTTP/2: a stream of a connection with room), claimed for
     * {@code listener}; null when none is idle.
     */
    UpstreamStream acquire(Server server, UpstreamListener listener) {
        if (server.protocol().isHttp2()) {
            return http2.acquire(server, listener);
        }
        ArrayDeque<UpstreamConnection> q = idle.get(server);
        if (q == null) {
            return null;
        }
        long now = timeline.nanoTime();
        for (UpstreamConnection c; (c = q.pollFirst()) != null; ) {
            if (c.channel().isActive() && !tooOld(c, now)) {
                c.claim(listener);
                return c;
            }
            c.channel().close();
        }
        return null;
    }

    /**
     * Starts a new connection to {@code server} (counted inactive while connecting); the returned future completes
     * when connected. The caller claims the connection once connected.
     */
    ChannelFuture connect(UpstreamConnection connection, int connectTimeoutMillis) {
        return connect(connection, connectTimeoutMillis, ch -> {
        });
    }

    /**
     * As {@link #connect(UpstreamConnection, int)}, writing {@code plainFirst} (a PROXY header) before anything else;
     * with TLS to the server ({@code tls:}) the future completes once the handshake is done, and its time counts in
     * the connect timeout.
     */
    private ChannelFuture connect(UpstreamConnection connection, int connectTimeoutMillis,
                                  java.util.function.Consumer<Channel> plainFirst) {
        Server server = connection.server();
        ResponseDecoder decoder = new ResponseDecoder();
        ServerTls tls = server.backend() == null ? null : server.backend().tls().forServer(server.name(),
                server.address());
        TlsConnectGate[] gate = new TlsConnectGate[1];
        ChannelFuture f = bootstrap.clone()
                .channelFactory(transport.socketChannelFor(server.address()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("http", decoder).addLast("upstream", connection);
                        plainFirst.accept(ch);
                        if (tls != null) {
                            gate[0] = tls.install(ch, TlsOriginator.Alpn.HTTP_1_1, connectTimeoutMillis, loop);
                        }
                    }
                })
                .connect(server.address());
        connection.bind(f.channel(), decoder);
        return gate[0] == null ? f : gate[0].follow(f);
    }

    UpstreamConnection newConnection(Server server) {
        return new UpstreamConnection(server, this, timeline.nanoTime());
    }

    /** Whether {@link #open} may give a stream to {@code server} now: false when its HTTP/2 connections are full. */
    boolean canOpen(Server server) {
        return !server.protocol().isHttp2() || http2.canOpen(server);
    }

    /** Past the backend's {@code max_connection_age}: no further request goes on it. */
    private static boolean tooOld(UpstreamConnection c, long now) {
        long maxAge = c.server().backend().config().maxConnectionAge().toNanos();
        return maxAge > 0 && now - c.bornAt() >= maxAge;
    }

    /**
     * Opens a new connection to {@code server} for {@code listener}: the backend's TCP keepalive applied, the PROXY
     * header the server wants written first ({@code source}, {@code destination}: the client's). Returned at once,
     * before it is connected (reset it to give up); {@code whenDone} follows on this pool's loop, also when the
     * socket could not even be created (which fails the connect at once, on no event loop of ours).
     */
    UpstreamStream open(Server server, int connectTimeoutMillis, InetSocketAddress source,
                        InetSocketAddress destination, UpstreamListener listener, Opened whenDone) {
        if (server.protocol().isHttp2()) {
            return http2.open(server, connectTimeoutMillis, listener, whenDone);
        }
        UpstreamConnection fresh = newConnection(server);
        // The PROXY header goes first, before a TLS handshake (as HAProxy's send-proxy with ssl).
        ChannelFuture connect = connect(fresh, connectTimeoutMillis,
                ch -> server.sendProxy().ifPresent(v -> ProxyProtocol.write(ch, v, source, destination)));
        server.backend().config().tcpKeepalive().ifPresent(k -> transport.applyKeepalive(connect.channel(), k));
        connect.addListener(f -> {
            if (loop.inEventLoop()) {
                connected(fresh, connect, listener, whenDone);
            } else {
                loop.execute(() -> connected(fresh, connect, listener, whenDone));
            }
        });
        return fresh;
    }

    private static void connected(UpstreamConnection c, ChannelFuture connect, UpstreamListener listener,
                                  Opened whenDone) {
        if (!connect.isSuccess()) {
            // The server's counters let go of it now: when the socket could not even be created, no close will.
            c.connectFailed();
            whenDone.opened(c, connect.cause());
            return;
        }
        // Claimed even if abandoned meanwhile: the listener then resets it (closed, its lease let go).
        c.claim(listener);
        whenDone.opened(c, null);
    }

    /** Puts a connection that finished an exchange cleanly back, or closes it when the server has enough idle. */
    void release(UpstreamConnection c) {
        Channel ch = c.channel();
        if (!ch.isActive() || tooOld(c, timeline.nanoTime()) || freesSlot(c.server())) {
            ch.close();
            return;
        }
        ArrayDeque<UpstreamConnection> q = idle.computeIfAbsent(c.server(), s -> new ArrayDeque<>());
        if (q.size() >= maxIdlePerServer) {
            ch.close();
            return;
        }
        long now = timeline.nanoTime();
        c.idle(now);
        q.addFirst(c);
        ch.read();
        if (!sweepScheduled) {
            scheduleSweep(idleTimeoutNanos(c));
        }
    }

    /**
     * Whether an idle connection to {@code server} should rather close: it is at its {@code max_connections} and its
     * backend queues ({@link dev.ferry.backend.BackendQueue#wantsSlotOf}), so the slot goes to a waiting request (of
     * any event loop) instead of idling here.
     */
    private static boolean freesSlot(Server server) {
        dev.ferry.backend.BackendQueue queue = server.backend() == null ? null : server.backend().queue();
        return queue != null && queue.wantsSlotOf(server, 0);
    }

    /** This pool's event loop as a backend queue sees it: where a queued request of this loop is woken. */
    dev.ferry.backend.BackendQueue.Loop queueLoop() {
        return queueLoop;
    }

    private final dev.ferry.backend.BackendQueue.Loop queueLoop = new dev.ferry.backend.BackendQueue.Loop() {
        @Override
        public long nanoTime() {
            return timeline.nanoTime();
        }

        @Override
        public void execute(Runnable task) {
            timeline.execute(task);
        }

        @Override
        public Runnable schedule(Runnable task, long delayNanos) {
            return timeline.schedule(task, delayNanos)::cancel;
        }
    };

    private static long idleTimeoutNanos(UpstreamConnection c) {
        return c.server().backend().config().timeouts().serverIdle().toNanos();
    }

    /** Counts a server connection closed because the server sent bytes beyond its response. */
    void discarded() {
        stats.serverConnectionDiscarded();
    }

    /** Forgets a connection that closed (called by the connection itself). */
    void remove(UpstreamConnection c) {
        ArrayDeque<UpstreamConnection> q = idle.get(c.server());
        if (q != null) {
            q.remove(c);
        }
    }

    private void scheduleSweep(long delayNanos) {
        sweepScheduled = true;
        timeline.schedule(this::sweep, Math.max(delayNanos, TimeUnit.MILLISECONDS.toNanos(10)));
    }

    /** Closes connections idle for longer than their backend's server_idle; returns when the next one is due. */
    private void sweep() {
        sweepScheduled = false;
        long now = timeline.nanoTime();
        long next = Long.MAX_VALUE;
        for (ArrayDeque<UpstreamConnection> q : idle.values()) {
            for (UpstreamConnection c; (c = q.peekLast()) != null; ) {
                long due = c.idleSince() + idleTimeoutNanos(c);
                if (due - now > 0) {
                    next = Math.min(next, due - now);
                    break;
                }
                q.pollLast();
                c.channel().close();
            }
        }
        if (next != Long.MAX_VALUE) {
            scheduleSweep(next);
        }
    }

    /** Idle connections now (HTTP/2: connections without streams), over all servers; for tests. */
    int idleCount() {
        int n = http2.idleCount();
        for (ArrayDeque<UpstreamConnection> q : idle.values()) {
            n += q.size();
        }
        return n;
    }

    /** Closes every idle connection, and HTTP/2 ones once their streams are done; runs on the pool's loop. */
    void closeAll() {
        List<UpstreamConnection> all = new ArrayList<>();
        idle.values().forEach(all::addAll);
        idle.clear();
        all.forEach(c -> c.channel().close());
        http2.retireAll();
    }

    EventLoop loop() {
        return loop;
    }
}
