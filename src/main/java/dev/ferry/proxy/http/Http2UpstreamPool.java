package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.config.UpstreamHttp2Config;
import dev.ferry.health.Timeline;
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

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/2 connections to servers that speak h2c (or h2: over TLS, chosen by ALPN), for one event loop of one frontend: a request takes a stream of
 * the oldest connection to its server with room ({@link Http2UpstreamConnection#hasRoom}), so streams pack onto few
 * connections; when none has room, it waits for a connection being made that has, or a new connection is made, up to
 * {@code http2.max_connections} per server. Connections without streams for {@code server_idle}, or past
 * {@code max_connection_age}, are closed.
 *
 * <p>Threading: confined to its event loop (the frontend reaches it from there only).
 */
final class Http2UpstreamPool {
    private final EventLoop loop;
    private final Timeline timeline;
    private final Transport transport;
    private final Bootstrap bootstrap;
    /** Per server, the connections that take new streams (or will once connected), oldest first. */
    private final IdentityHashMap<Server, List<Http2UpstreamConnection>> offered = new IdentityHashMap<>();
    private boolean sweepScheduled;

    Http2UpstreamPool(EventLoop loop, Timeline timeline, Transport transport, Bootstrap bootstrap) {
        this.loop = loop;
        this.timeline = timeline;
        this.transport = transport;
        this.bootstrap = bootstrap;
    }

    long now() {
        return timeline.nanoTime();
    }

    /** A stream of a connected connection to {@code server} with room, claimed for {@code listener}; or null. */
    UpstreamStream acquire(Server server, UpstreamListener listener) {
        Http2UpstreamConnection c = withRoom(server, true);
        return c == null ? null : c.claimStream(listener);
    }

    /** Whether {@link #open} can give a stream: a connection being made has room, or another may be made. */
    boolean canOpen(Server server) {
        return withRoom(server, false) != null || offeredTo(server).size() < http2(server).maxConnections();
    }

    /**
     * A stream on a connection being made to {@code server}, or on a new one ({@link #canOpen} said there is room):
     * claimed for {@code listener} once connected, then {@code whenDone} follows on this loop.
     */
    UpstreamStream open(Server server, int connectTimeoutMillis, UpstreamListener listener,
                        UpstreamPool.Opened whenDone) {
        Http2UpstreamConnection c = withRoom(server, false);
        if (c == null) {
            c = connect(server, connectTimeoutMillis);
        }
        return c.waitingStream(listener, whenDone);
    }

    private Http2UpstreamConnection withRoom(Server server, boolean up) {
        List<Http2UpstreamConnection> list = offered.get(server);
        if (list == null) {
            return null;
        }
        long now = timeline.nanoTime();
        long maxAge = maxAgeNanos(server);
        Http2UpstreamConnection found = null;
        List<Http2UpstreamConnection> aged = null;
        for (Http2UpstreamConnection c : list) {
            if (found == null && c.isUp() == up && c.hasRoom(now, maxAge)) {
                found = c;
            } else if (c.isUp() && c.users() == 0 && c.pastAge(now, maxAge)) {
                if (aged == null) {
                    aged = new ArrayList<>(1);
                }
                aged.add(c);
            }
        }
        if (aged != null) {
            // Past their age and idle: they would never carry a stream again.
            aged.forEach(Http2UpstreamConnection::close);
        }
        return found;
    }

    private Http2UpstreamConnection connect(Server server, int connectTimeoutMillis) {
        Http2UpstreamConnection c = new Http2UpstreamConnection(server, this,
                http2(server).maxConcurrentStreams(), timeline.nanoTime());
        ServerTls tls = server.backend().tls().forServer(server.name(), server.address());
        TlsConnectGate[] gate = new TlsConnectGate[1];
        ChannelFuture connect = bootstrap.clone()
                .channelFactory(transport.socketChannelFor(server.address()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("h2", c.newCodec()).addLast("upstream", c);
                        if (tls != null) {
                            // h2: HTTP/2 over TLS; the codec sees the connection only once the server chose h2.
                            gate[0] = tls.install(ch, TlsOriginator.Alpn.H2, connectTimeoutMillis, loop);
                        }
                    }
                })
                .connect(server.address());
        ChannelFuture f = gate[0] == null ? connect : gate[0].follow(connect);
        c.bind(f.channel(), tls != null);
        server.backend().config().tcpKeepalive().ifPresent(k -> transport.applyKeepalive(f.channel(), k));
        offeredTo(server).add(c);
        f.addListener(done -> {
            if (done.isSuccess()) {
                // The connection tells its streams itself once active (after the codec wrote its preface).
                return;
            }
            if (loop.inEventLoop()) {
                connectFailed(c, done.cause());
            } else {
                // The socket could not even be created: the failure comes on no loop of ours.
                loop.execute(() -> connectFailed(c, done.cause()));
            }
        });
        return c;
    }

    private void connectFailed(Http2UpstreamConnection c, Throwable failure) {
        remove(c);
        c.connectEnded(failure);
    }

    private List<Http2UpstreamConnection> offeredTo(Server server) {
        return offered.computeIfAbsent(server, s -> new ArrayList<>(2));
    }

    // ---- what connections report ----

    /** {@code c} carries no stream now: closed when past its age, else closed by the sweep after server_idle. */
    void idle(Http2UpstreamConnection c) {
        if (c.pastAge(timeline.nanoTime(), maxAgeNanos(c.server()))) {
            c.close();
            return;
        }
        if (!sweepScheduled) {
            scheduleSweep(serverIdleNanos(c.server()));
        }
    }

    /** {@code c} received GOAWAY: no new streams there; it closes once its streams are done. */
    void goingAway(Http2UpstreamConnection c) {
        remove(c);
    }

    /** Forgets {@code c} (closed, failed or going away). */
    void remove(Http2UpstreamConnection c) {
        List<Http2UpstreamConnection> list = offered.get(c.server());
        if (list != null) {
            list.remove(c);
            if (list.isEmpty()) {
                offered.remove(c.server());
            }
        }
    }

    private void scheduleSweep(long delayNanos) {
        sweepScheduled = true;
        timeline.schedule(this::sweep, Math.max(delayNanos, TimeUnit.MILLISECONDS.toNanos(10)));
    }

    /** Closes connections without streams for longer than server_idle, or past their age; reschedules itself. */
    private void sweep() {
        sweepScheduled = false;
        long now = timeline.nanoTime();
        long next = Long.MAX_VALUE;
        List<Http2UpstreamConnection> closing = new ArrayList<>();
        for (List<Http2UpstreamConnection> list : offered.values()) {
            for (Http2UpstreamConnection c : list) {
                if (!c.isUp() || c.users() > 0) {
                    continue;
                }
                long maxAge = maxAgeNanos(c.server());
                long due = c.idleSince() + serverIdleNanos(c.server());
                if (due - now <= 0 || c.pastAge(now, maxAge)) {
                    closing.add(c);
                } else {
                    next = Math.min(next, due - now);
                }
            }
        }
        closing.forEach(Http2UpstreamConnection::close);
        if (next != Long.MAX_VALUE) {
            scheduleSweep(next);
        }
    }

    /** Connections without streams now, over all servers; for tests. */
    int idleCount() {
        int n = 0;
        for (List<Http2UpstreamConnection> list : offered.values()) {
            for (Http2UpstreamConnection c : list) {
                if (c.isUp() && c.users() == 0) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Stop or reload: no connection takes new streams; each closes once its streams are done. */
    void retireAll() {
        List<Http2UpstreamConnection> all = new ArrayList<>();
        offered.values().forEach(all::addAll);
        offered.clear();
        all.forEach(Http2UpstreamConnection::retire);
    }

    private static UpstreamHttp2Config http2(Server server) {
        return server.backend().config().http2();
    }

    private static long maxAgeNanos(Server server) {
        return server.backend().config().maxConnectionAge().toNanos();
    }

    private static long serverIdleNanos(Server server) {
        return server.backend().config().timeouts().serverIdle().toNanos();
    }
}
