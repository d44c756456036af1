package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.transport.LocalFailures;
import dev.ferry.transport.Reasons;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One try of an {@link Exchange} on one server (Envoy's {@code UpstreamRequest}): it takes a stream to the server
 * from the pool ({@link UpstreamPool}: a pooled connection, or a new one), sends the request on it, passes what the
 * server answers to the exchange, decides whether a failure before any response is worth another try, and gives the
 * stream back when done.
 *
 * <p>It is the only place that tells the server's passive health check how it went: at most one failure and at most
 * one success per attempt, however many signs of the same failure arrive (a reset is seen as an exception on the
 * server connection and then as its close; a 5xx head may be followed by a broken body). A success (a head other than
 * 5xx) followed by a broken body records both, as both happened. A failure that is this machine's own (no file
 * descriptor, no port: {@link LocalFailures}) is never recorded against the server.
 *
 * <p>Events of a stream the attempt no longer holds (it was abandoned, or the exchange moved on to another attempt)
 * are dropped here, so the exchange only ever hears from its current try.
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
    private UpstreamStream stream;
    private boolean failed;
    private boolean succeeded;

    Attempt(Exchange exchange, Server server) {
        this.exchange = exchange;
        this.server = server;
    }

    Server server() {
        return server;
    }

    /** Whether the attempt holds a stream (it is connecting or connected, and was not abandoned). */
    boolean holdsStream() {
        return stream != null;
    }

    // ---- acquire ----

    /** Claims the youngest idle connection to the server; true when there was one (the request can go at once). */
    boolean acquirePooled(UpstreamPool pool) {
        stream = pool.acquire(server, this);
        return stream != null;
    }

    /**
     * Opens a new connection to the server (HTTP/2: a stream on a connection being made, or on a new one);
     * {@link Exchange#attemptConnected} follows, or the failure is handled. When the server's HTTP/2 connections are
     * all full, the exchange hears of it at once ({@link Exchange#serverFull}).
     */
    void connectFresh(UpstreamPool pool, int connectTimeoutMillis) {
        if (!pool.canOpen(server)) {
            exchange.serverFull(this);
            return;
        }
        stream = pool.open(server, connectTimeoutMillis, exchange.source(), exchange.destination(), this,
                this::opened);
    }

    private void opened(UpstreamStream s, Throwable failure) {
        if (stream != s) {
            // Abandoned while connecting.
            s.reset();
            return;
        }
        if (failure != null) {
            stream = null;
            if (LocalFailures.isLocal(failure)) {
                // Ferry's own limit (file descriptors, ports, memory): not the server's failure, and no other server
                // would fare better; the same rule as at layer 4.
                exchange.cannotConnect(this, Reasons.of(failure));
                return;
            }
            failed();
            exchange.connectFailed(this, Reasons.of(failure), exchange.triesLeft());
            return;
        }
        exchange.attemptConnected(this);
    }

    // ---- send ----

    void sendHead(RequestHeaders request) {
        stream.sendHead(request);
    }

    void sendData(HttpContent part) {
        stream.sendData(part);
    }

    /** See {@link UpstreamStream#sendData(HttpContent, Runnable)}. */
    void sendData(HttpContent part, Runnable written) {
        stream.sendData(part, written);
    }

    void flush() {
        UpstreamStream s = stream;
        if (s != null) {
            s.flush();
        }
    }

    void read() {
        UpstreamStream s = stream;
        if (s != null) {
            s.read();
        }
    }

    /** Whether more of the request may be written now (false once the attempt holds no stream). */
    boolean isWritable() {
        UpstreamStream s = stream;
        return s != null && s.isWritable();
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

    /** The exchange on this stream is complete: see {@link UpstreamStream#release}. */
    void finish(boolean requestComplete) {
        UpstreamStream s = stream;
        stream = null;
        s.release(requestComplete);
    }

    /** Lets go of the stream, which may be inside a message: closed, never pooled. Nothing is recorded. */
    void abandon() {
        UpstreamStream s = stream;
        stream = null;
        if (s != null) {
            s.reset();
        }
    }

    /** Hands the stream over (to a tunnel after an upgrade): the attempt no longer holds or hears from it. */
    UpstreamStream detach() {
        UpstreamStream s = stream;
        stream = null;
        return s;
    }

    // ---- what the stream reports ----

    @Override
    public void upstreamRead(UpstreamStream s, Object msg) {
        if (s != stream || !exchange.isForwarding(this)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        exchange.responsePart(this, msg);
    }

    @Override
    public void upstreamReadComplete(UpstreamStream s) {
        exchange.responseReadComplete(this, s == stream);
    }

    @Override
    public void upstreamWritabilityChanged(UpstreamStream s) {
        if (s == stream && exchange.isForwarding(this) && s.isWritable()) {
            exchange.upstreamWritable();
        }
    }

    @Override
    public void upstreamRefused(UpstreamStream s) {
        if (s != stream) {
            return;
        }
        stream = null;
        if (exchange.isForwarding(this)) {
            exchange.upstreamRefused(this);
        }
    }

    @Override
    public void upstreamClosed(UpstreamStream s) {
        if (s != stream) {
            return;
        }
        stream = null;
        if (exchange.isForwarding(this)) {
            exchange.upstreamClosed(this, s.reuses());
        }
    }
}
