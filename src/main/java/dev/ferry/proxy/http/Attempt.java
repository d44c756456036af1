package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.transport.LocalFailures;
import dev.ferry.transport.LoopFlusher;
import dev.ferry.transport.ProxyProtocol;
import dev.ferry.transport.Reasons;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One try of an {@link Exchange} on one server (Envoy's {@code UpstreamRequest}): it takes a pooled connection to the
 * server or opens one, sends the request on it, passes what the server answers to the exchange, decides whether a
 * failure before any response is worth another try, and gives the connection back (or closes it) when done.
 *
 * <p>It is the only place that tells the server's passive health check how it went: at most one failure and at most
 * one success per attempt, however many signs of the same failure arrive (a reset is seen as an exception on the
 * server connection and then as its close; a 5xx head may be followed by a broken body). A success (a head other than
 * 5xx) followed by a broken body records both, as both happened. A failure that is this machine's own (no file
 * descriptor, no port: {@link LocalFailures}) is never recorded against the server.
 *
 * <p>Events of a connection the attempt no longer holds (it was abandoned, or the exchange moved on to another
 * attempt) are dropped here, so the exchange only ever hears from its current try.
 *
 * <p>Threading: belongs to one exchange, on its event loop (which is also the loop of the server connection).
 */
final class Attempt implements UpstreamListener {
    /** What to do after the server closed the connection before any byte of a response. */
    enum AfterEarlyClose {
        /** Send the request once more to the same server on a fresh connection; nobody's failure. */
        RESEND_FRESH,
        /** The server failed; try another one. */
        RETRY_ELSEWHERE,
        /** The server failed and the request cannot (or may not) be tried again: answer 502. */
        GIVE_UP
    }

    private final Exchange exchange;
    private final Server server;
    private final UpstreamPool pool;
    private UpstreamConnection connection;
    private boolean failed;
    private boolean succeeded;

    Attempt(Exchange exchange, Server server, UpstreamPool pool) {
        this.exchange = exchange;
        this.server = server;
        this.pool = pool;
    }

    Server server() {
        return server;
    }

    /** The connection the attempt holds (null before it connected and once it let go of it). */
    UpstreamConnection connection() {
        return connection;
    }

    // ---- acquire ----

    /** Claims the youngest idle connection to the server; true when there was one (the request can go at once). */
    boolean acquirePooled() {
        connection = pool.acquire(server, this);
        return connection != null;
    }

    /**
     * Opens a new connection to the server; {@link Exchange#attemptConnected} follows once connected, or the failure
     * is handled here.
     */
    void connectFresh(HttpFrontend frontend, Backend backend, Channel client) {
        UpstreamConnection fresh = pool.newConnection(server);
        connection = fresh;
        ChannelFuture connect = pool.connect(fresh, frontend.connectTimeoutMillis(backend));
        // A PROXY header speaks for one client, so such connections are never shared (see finish).
        server.sendProxy().ifPresent(v -> ProxyProtocol.write(connect.channel(), v, exchange.source(),
                exchange.destination()));
        backend.config().tcpKeepalive().ifPresent(k -> frontend.transport().applyKeepalive(connect.channel(), k));
        // A socket that could not even be created fails the connect at once, on no event loop of ours: come back.
        connect.addListener(f -> {
            if (client.eventLoop().inEventLoop()) {
                connected(fresh, connect);
            } else {
                client.eventLoop().execute(() -> connected(fresh, connect));
            }
        });
    }

    private void connected(UpstreamConnection c, ChannelFuture connect) {
        if (connection != c) {
            c.channel().close();
            return;
        }
        if (!connect.isSuccess()) {
            connection = null;
            c.connectFailed();
            if (LocalFailures.isLocal(connect.cause())) {
                // Ferry's own limit (file descriptors, ports, memory): not the server's failure, and no other server
                // would fare better; the same rule as at layer 4.
                exchange.cannotConnect(this, Reasons.of(connect.cause()));
                return;
            }
            failed();
            exchange.connectFailed(this, Reasons.of(connect.cause()), exchange.triesLeft());
            return;
        }
        c.claim(this);
        exchange.attemptConnected(this);
    }

    // ---- send ----

    /** Writes the request head (not flushed); the connection's decoder learns whether the answer has a body. */
    void sendHead(RequestHead request, boolean headRequest) {
        UpstreamConnection u = connection;
        u.expectResponseTo(headRequest);
        Channel ch = u.channel();
        ch.write(request.encode(ch.alloc()), ch.voidPromise());
    }

    /** Writes one part of the request body (owned from here on; not flushed), counting its bytes to the server. */
    void sendBody(HttpContent content, boolean chunked) {
        UpstreamConnection u = connection;
        u.server().addBytesOut(content.content().readableBytes());
        BodyWriter.write(u.channel(), content, chunked);
    }

    /** Flushes what was written, soon (once per event-loop turn). */
    void flush() {
        UpstreamConnection u = connection;
        if (u != null) {
            LoopFlusher.flushSoon(u.channel());
        }
    }

    /** Reads the next chunk of the response. */
    void read() {
        UpstreamConnection u = connection;
        if (u != null) {
            u.channel().read();
        }
    }

    /** Whether more of the request may be written now (false once the attempt holds no connection). */
    boolean isWritable() {
        UpstreamConnection u = connection;
        return u != null && u.channel().isWritable();
    }

    // ---- outcome ----

    /** The server failed this attempt (refused, reset, closed early, answered 5xx or nonsense, too slow). */
    void failed() {
        if (!failed) {
            failed = true;
            server.recordFailure();
        }
    }

    /**
     * The server's response head arrived: a 5xx is a failure, anything else a success; the time it took to come
     * (from the request's end) feeds the latency the ewma scheduler compares (none when not known: negative).
     */
    void responded(int code, long latencyNanos) {
        if (code >= 500) {
            failed();
        } else if (!succeeded && !failed) {
            succeeded = true;
            server.recordSuccess();
        }
        if (latencyNanos >= 0) {
            server.recordLatencyNanos(latencyNanos);
        }
    }

    /**
     * The server closed the connection before any byte of a response: records the failure unless the request is
     * to be resent on a fresh connection (a pooled connection most likely closed as idle while the request was on
     * its way, so nothing was processed: nginx does the same with its cached upstream connections).
     *
     * @param replayable    the request can be sent again (idempotent, no body byte and no 1xx passed yet)
     * @param resentAlready the request was already resent on a fresh connection once
     * @param triesLeft     another server may still be tried
     */
    AfterEarlyClose closedBeforeResponse(int reuses, boolean replayable, boolean resentAlready, boolean triesLeft) {
        if (reuses > 0 && !resentAlready && replayable) {
            return AfterEarlyClose.RESEND_FRESH;
        }
        failed();
        return replayable && triesLeft ? AfterEarlyClose.RETRY_ELSEWHERE : AfterEarlyClose.GIVE_UP;
    }

    // ---- letting go ----

    /**
     * The exchange on this connection is complete: the connection goes back to the pool when it is exactly between
     * two messages and both sides keep it ({@code reusable}); otherwise it closes.
     */
    void finish(boolean reusable) {
        UpstreamConnection c = connection;
        connection = null;
        if (!c.atMessageBoundary()) {
            c.discard("the server sent more bytes than its response held");
        } else if (reusable && c.server().sendProxy().isEmpty()) {
            pool.release(c);
        } else {
            c.channel().close();
        }
    }

    /** Lets go of the connection, which may be inside a message: closed, never pooled. Nothing is recorded. */
    void abandon() {
        UpstreamConnection u = connection;
        connection = null;
        if (u != null) {
            u.channel().close();
        }
    }

    /** Hands the connection over (to a tunnel after an upgrade): the attempt no longer holds or hears from it. */
    UpstreamConnection detach() {
        UpstreamConnection u = connection;
        connection = null;
        return u;
    }

    // ---- what the server connection reports ----

    @Override
    public void upstreamRead(UpstreamConnection c, Object msg) {
        if (c != connection || !exchange.isForwarding(this)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        exchange.responsePart(this, msg);
    }

    @Override
    public void upstreamReadComplete(UpstreamConnection c) {
        exchange.responseReadComplete(this, c == connection);
    }

    @Override
    public void upstreamWritabilityChanged(UpstreamConnection c) {
        if (c == connection && exchange.isForwarding(this) && c.channel().isWritable()) {
            exchange.upstreamWritable();
        }
    }

    @Override
    public void upstreamClosed(UpstreamConnection c) {
        if (c != connection) {
            return;
        }
        connection = null;
        if (exchange.isForwarding(this)) {
            exchange.upstreamClosed(this, c.reuses());
        }
    }
}
