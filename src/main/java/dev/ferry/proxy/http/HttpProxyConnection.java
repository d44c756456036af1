package dev.ferry.proxy.http;

import dev.ferry.accesslog.Termination;
import dev.ferry.config.LingeringOptions;
import dev.ferry.health.Timeline;
import dev.ferry.logging.RateLimitedLog;
import dev.ferry.config.Addresses;
import dev.ferry.transport.LoopFlusher;
import dev.ferry.transport.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/1 client connection of an http frontend (Envoy's connection manager with its HTTP/1 codec): requests are
 * taken one after another, each as one {@link Exchange}; pipelined requests wait in order, so responses go back in
 * order. The connection owns what outlives a request: keep-alive, draining, the request-head timeout (408) and the
 * idle timeout, protocol upgrades (the switch to a {@link TunnelRelay}), and the lingering close.
 *
 * <p>Ferry's answers that belong to no exchange ({@link ErrorResponses}): 400/414/431 for requests the decoder
 * rejects, 408 when the head is too slow, 500 for a fault of Ferry's own before a response started.
 *
 * <p>Closing after a response while the client may still be sending (an early answer to an upload, a pipelined
 * request behind a closing one) is a lingering close ({@link LingeringClose}, {@code http.lingering_close}), so the
 * response is not destroyed by the reset an abrupt close with unread bytes causes.
 *
 * <p>Threading: every method runs on the client channel's event loop, which is also the loop of its server
 * connections; no field needs synchronisation.
 */
final class HttpProxyConnection extends ChannelInboundHandlerAdapter
        implements DownstreamConnection, RequestDecoder.Arrivals, Drainable {
    private static final Logger log = LoggerFactory.getLogger(HttpProxyConnection.class);
    private static final RateLimitedLog INTERNAL_ERRORS = new RateLimitedLog(log, java.time.Duration.ofSeconds(10));

    private enum State {
        /** Waiting for the next request head. */
        HEAD,
        /** A request is under way: {@link #exchange} has it. */
        EXCHANGE,
        /** A protocol upgrade was passed through; bytes are relayed by {@link TunnelRelay}. */
        TUNNEL,
        CLOSED
    }

    private final HttpFrontend frontend;
    private final Channel client;
    /** How this connection closes while the client may still send: the frontend's options when it was accepted. */
    private final LingeringOptions lingering;
    private final UpstreamPool pool;
    /** The client and the address it connected to; a PROXY header from a trusted proxy replaces both. */
    private InetSocketAddress source;
    private InetSocketAddress destination;
    private ForwardingHeaders.Client clientAddress;
    private final ArrayDeque<Object> pending = new ArrayDeque<>(4);
    private ChannelHandlerContext ctx;
    /** The client's decoder, which holds what follows a request asking for an upgrade until told to go on. */
    private RequestDecoder decoder;
    private State state = State.HEAD;
    /** The request under way (state EXCHANGE, and after it closed the connection); a new one per request. */
    private Exchange exchange;
    /** The frontend is stopping: no further request on this connection. */
    private boolean draining;
    /** When the connection was accepted (its Timeline's nanos), for {@code max_connection_age}. */
    private long openedAt;
    /** When the connection is past {@code max_connection_age} (relative to openedAt); -1 without a limit. */
    private long maxAgeNanos = -1;
    /** Bytes of the next request head have arrived (so the connection is not idle). */
    private boolean headBytes;

    /** The clock and timer of this connection's event loop ({@link HttpFrontend#timeline}); injected for tests. */
    private final Timeline clock;
    // Timers (the clock's nanoseconds; 0 = not running).
    private long headStart;
    private long lastActivity;
    private Timeline.Scheduled timer;
    private long timerAt;

    HttpProxyConnection(HttpFrontend frontend, Channel client) {
        this.frontend = frontend;
        this.client = client;
        this.pool = frontend.pool(client.eventLoop());
        this.clock = frontend.timeline(client.eventLoop());
        this.lingering = frontend.lingering();
        this.source = (InetSocketAddress) client.remoteAddress();
        this.destination = (InetSocketAddress) client.localAddress();
        this.clientAddress = ForwardingHeaders.Client.of(source, client);
    }

    // ---- what exchanges use ----

    @Override
    public HttpFrontend frontend() {
        return frontend;
    }

    Channel client() {
        return client;
    }

    @Override
    public UpstreamPool pool() {
        return pool;
    }

    @Override
    public InetSocketAddress source() {
        return source;
    }

    @Override
    public InetSocketAddress destination() {
        return destination;
    }

    @Override
    public ForwardingHeaders.Client clientAddress() {
        return clientAddress;
    }

    /**
     * Draining, or past {@code max_connection_age}: either way the next response says {@code Connection: close} and
     * the connection closes after it.
     */
    @Override
    public boolean draining() {
        return draining || (maxAgeNanos >= 0 && clock.nanoTime() - openedAt >= maxAgeNanos);
    }

    /** When the connection was accepted, on its event loop's Timeline. */
    long openedAt() {
        return openedAt;
    }

    @Override
    public long lastActivity() {
        return lastActivity;
    }

    @Override
    public long now() {
        return clock.nanoTime();
    }

    @Override
    public void touch(long now) {
        lastActivity = now;
    }

    /** Writes to the client (not flushed), counting the bytes into the frontend's stats. */
    void toClient(ByteBuf bytes) {
        frontend.stats().addBytesToClient(bytes.readableBytes());
        client.write(bytes, client.voidPromise());
    }

    /** Writes a response body part to the client (owned from here on; not flushed), as a chunk when asked. */
    void bodyToClient(HttpContent content, boolean chunked) {
        frontend.stats().addBytesToClient(BodyWriter.write(client, content, chunked));
    }

    void flushClientSoon() {
        LoopFlusher.flushSoon(client);
    }

    /**
     * Bytes from the client, before they are decoded ({@link RequestDecoder}): counted, and the clocks of the
     * connection set (activity, and the request_header clock when they start a request head).
     */
    @Override
    public void bytesArrived(int bytes) {
        frontend.stats().addBytesFromClient(bytes);
        long now = clock.nanoTime();
        lastActivity = now;
        if (state == State.HEAD) {
            headBytes = true;
            if (headStart == 0) {
                headStart = now;
                ensureTimer(now + frontend.requestHeaderNanos());
            }
        }
    }

    @Override
    public boolean isSharable() {
        return false;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.decoder = ctx.pipeline().get(RequestDecoder.class);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        long now = clock.nanoTime();
        lastActivity = now;
        openedAt = now;
        dev.ferry.config.ConnectionAge age = frontend.connectionAge();
        if (age.limited()) {
            maxAgeNanos = age.jitteredNanos(java.util.concurrent.ThreadLocalRandom.current());
        }
        // The first request's clock starts at accept, so a client that connects and sends nothing is cut off too.
        headStart = now;
        ensureTimer(now + frontend.requestHeaderNanos());
        ctx.read();
        ctx.fireChannelActive();
    }

    // ---- client side ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSED || state == State.TUNNEL) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HAProxyMessage header) {
            proxyHeaderReceived(header);
            return;
        }
        pending.add(msg);
        drive();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Exchange e = exchange;
        if (e != null && state == State.EXCHANGE) {
            e.flushUpstream();
        }
        readClientIfReady();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange e = exchange;
        if (client.isWritable() && e != null && state == State.EXCHANGE) {
            e.clientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        Exchange e = exchange;
        exchange = null;
        if (e != null) {
            // Once it has logged (it ended, or closed the connection itself) this only lets go of what it holds.
            e.clientClosed();
        }
        releasePending();
        cancelTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("{}: client {} failed: {}", frontend.name(), client.remoteAddress(), cause.getMessage());
        } else if (cause instanceof HAProxyProtocolException) {
            // proxy_protocol: the first bytes are no PROXY header (refused as soon as they cannot be one).
            log.debug("{}: bad PROXY header from {}: {}", frontend.name(), Addresses.format(client.remoteAddress()),
                    cause.getMessage());
            frontend.stats().badProxyHeader();
        } else if (clientInput(cause)) {
            log.debug("{}: closing client {}: {}", frontend.name(), client.remoteAddress(), cause.toString());
        } else {
            internalError(ctx, cause);
            return;
        }
        ctx.close();
    }

    /**
     * Not the client's doing: a bug of ours. Said at WARN (rate-limited), with the trace at debug; the request ends as
     * an internal error (a 500 while no byte of the response has gone out), not as client_closed.
     */
    private void internalError(ChannelHandlerContext ctx, Throwable cause) {
        INTERNAL_ERRORS.warn("{}: internal error on the connection from {}: {}; closing it", frontend.name(),
                client.remoteAddress(), cause.toString());
        log.debug("{}: internal error", frontend.name(), cause);
        boolean open = state != State.CLOSED && state != State.TUNNEL;
        Exchange e = state == State.EXCHANGE ? exchange : null;
        if (open && (e != null ? !e.responseStarted() : headBytes || !pending.isEmpty())) {
            closeWith(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
            return;
        }
        if (open && e != null) {
            e.logAccess(Termination.INTERNAL_ERROR);
        }
        ctx.close();
    }

    /** Decoders say what was wrong with the bytes in their own exception types; a bare one wraps a decoder's bug. */
    private static boolean clientInput(Throwable cause) {
        return cause instanceof DecoderException && (cause.getClass() != DecoderException.class
                || cause.getCause() == null || cause.getCause() instanceof IOException);
    }

    /** The PROXY header ({@code proxy_protocol: true}) names the original client; it comes before any request. */
    private void proxyHeaderReceived(HAProxyMessage header) {
        try {
            ProxyProtocol.Endpoints stated = ProxyProtocol.endpoints(header);
            if (stated != null) {
                source = stated.source();
                destination = stated.destination();
                clientAddress = ForwardingHeaders.Client.of(source, client);
            }
        } finally {
            header.release();
        }
    }

    /**
     * The frontend stops: an idle connection (between requests, nothing of the next one read) closes now; a busy
     * one closes after the response in progress, or, before that response's head went out, announces it.
     */
    @Override
    public void drain() {
        draining = true;
        if (state == State.HEAD && pending.isEmpty() && !headBytes) {
            state = State.CLOSED;
            client.close();
        }
    }

    /**
     * The client speaks HTTP/2 ({@link Http2Detector}), before any request: this connection stops (its timers go,
     * nothing it held is kept) and the HTTP/2 one takes over with {@link #source()} and {@link #destination()}.
     */
    void yieldToHttp2() {
        state = State.CLOSED;
        cancelTimer();
        releasePending();
    }

    /** Processes what the client sent as far as the current state allows. */
    void drive() {
        while (true) {
            switch (state) {
                case HEAD -> {
                    Object msg = pending.poll();
                    if (msg == null) {
                        // Every request so far is done; one that asked for an upgrade did not get it (or there
                        // would be a tunnel now): what the client sent behind it is the next request.
                        if (decoder != null) {
                            decoder.resume();
                        }
                        return;
                    }
                    if (msg instanceof RequestHead head) {
                        onHead(head);
                    } else if (msg instanceof DecodeFailure failure) {
                        rejectMalformed(failure);
                    } else {
                        // Only after a request Ferry stopped caring about; its parts are dropped.
                        ReferenceCountUtil.release(msg);
                    }
                }
                case EXCHANGE -> {
                    Exchange e = exchange;
                    if (!e.takesBody()) {
                        return;
                    }
                    Object msg = pending.poll();
                    if (msg == null) {
                        return;
                    }
                    if (msg instanceof DecodeFailure failure) {
                        e.requestBroken();
                        rejectMalformed(failure);
                        return;
                    }
                    if (!e.requestBody((HttpContent) msg)) {
                        return;
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    void readClientIfReady() {
        if (!pending.isEmpty() || !client.isActive()) {
            return;
        }
        switch (state) {
            case HEAD -> ctx.read();
            case EXCHANGE -> {
                if (exchange.readsClient()) {
                    ctx.read();
                }
            }
            default -> {
                // TUNNEL/CLOSED: not ours to read.
            }
        }
    }

    private void onHead(RequestHead head) {
        headStart = 0;
        headBytes = false;
        // The clock read when the head's last bytes arrived (bytesArrived), or when the response before it ended.
        Exchange e = Exchange.of(this, new Http1DownstreamStream(this, head), head, lastActivity);
        exchange = e;
        frontend.requestArrived(head);
        state = State.EXCHANGE;
        // What HTTP/1 asks of a head before anything above the codec sees it: one Host, a target that fits it.
        String problem = RequestChecks.problem(head);
        if (problem != null) {
            e.localReply(HttpResponseStatus.BAD_REQUEST, problem, true);
            return;
        }
        RequestHost.settle(head, destination);
        e.start();
    }

    private void rejectMalformed(DecodeFailure failure) {
        log.debug("{}: {} from {}: {}", frontend.name(), failure.status().code(), client.remoteAddress(),
                failure.detail());
        closeWith(failure.status(), failure.detail());
    }

    /** The exchange ended and the connection stays: the next request is taken. */
    void exchangeDone() {
        exchange = null;
        state = State.HEAD;
        if (!pending.isEmpty()) {
            headStart = clock.nanoTime();
        }
        drive();
        readClientIfReady();
    }

    /** The exchange has closed the client connection itself. */
    void closed() {
        state = State.CLOSED;
    }

    // ---- WebSocket and other upgrades ----

    /** The server switched protocols: from here on the bytes of both connections are relayed as they are. */
    void switchToTunnel(Channel server, long idleNanos) {
        state = State.TUNNEL;
        exchange = null;
        releasePending();
        cancelTimer();
        client.flush();
        // Relays first, then the decoders go: bytes they have not decoded are passed on to the relays.
        ChannelPipeline cp = client.pipeline();
        cp.addLast("idle", new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
        cp.addLast("tunnel", new TunnelRelay(server));
        server.pipeline().addLast("tunnel", new TunnelRelay(client));
        cp.remove(this);
        // From here on the client's bytes are counted as they pass, as on a tcp frontend.
        cp.addBefore("http", "bytes", frontend.byteCounter());
        cp.remove("http");
    }

    // ---- closing ----

    /** Answers with {@code status} and closes: the connection is past saving (bad input, a timeout, a bug). */
    private void closeWith(HttpResponseStatus status, String detail) {
        Exchange e = state == State.EXCHANGE && exchange != null ? exchange
                : Exchange.headless(this, new Http1DownstreamStream(this, null), now());
        exchange = e;
        e.localReply(status, detail, true);
    }

    /**
     * Writes {@code response} (owned from here) and closes, lingering when {@code lingerable} and the options say so;
     * a connection that is already gone only releases it.
     */
    void closeWithResponse(ByteBuf response, boolean lingerable, boolean clientMaySend) {
        state = State.CLOSED;
        releasePending();
        if (!client.isActive()) {
            response.release();
            return;
        }
        frontend.stats().addBytesToClient(response.readableBytes());
        if (lingerable) {
            lingerOrClose(response, clientMaySend);
        } else {
            client.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Whether the client may still be sending when Ferry closes: the current request's body has not been read to its
     * end, or bytes of a further request have arrived (decoded or not). What {@code lingering_close: on} lingers for.
     */
    boolean clientMaySend() {
        Exchange e = exchange;
        if (headBytes || (e != null && e.bodyMayFollow())) {
            return true;
        }
        for (Object msg : pending) {
            // The empty end of a request without a body is no more to come.
            if (!(msg instanceof LastHttpContent last) || last.content().isReadable()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Ends the connection after the response: writes {@code last} (owned from here; may be empty) behind what is
     * already queued and closes, with a lingering close ({@link LingeringClose}) when {@code http.lingering_close}
     * says so, for {@code on} only when {@code clientMaySend}; else at once once written, as before lingering existed.
     */
    void closeAfterResponse(ByteBuf last, boolean clientMaySend) {
        state = State.CLOSED;
        releasePending();
        lingerOrClose(last, clientMaySend);
    }

    private void lingerOrClose(ByteBuf last, boolean clientMaySend) {
        LingeringOptions.Mode mode = lingering.mode();
        boolean linger = mode == LingeringOptions.Mode.ALWAYS || (mode == LingeringOptions.Mode.ON && clientMaySend);
        if (linger && client.isActive()) {
            cancelTimer();
            // Its own timers run on the event loop's clock, so it reads that clock too (not the injected one).
            LingeringClose.begin(client, last, lingering, frontend.lingeringStats(), frontend.stats(),
                    System::nanoTime);
        } else {
            client.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void releasePending() {
        for (Object msg; (msg = pending.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
    }

    // ---- timeouts ----

    /** Makes sure a check runs no later than {@code deadline}; one timer serves every timeout of the connection. */
    @Override
    public void ensureTimer(long deadline) {
        if (timer != null && deadline - timerAt >= 0) {
            return;
        }
        timerAt = deadline;
        timer = clock.schedule(this::checkTimeouts, deadline - clock.nanoTime());
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    private void checkTimeouts() {
        timer = null;
        if (state == State.CLOSED || state == State.TUNNEL) {
            return;
        }
        long now = clock.nanoTime();
        Exchange e = state == State.EXCHANGE ? exchange : null;
        long idle = e == null ? frontend.clientIdleNanos() : e.idleNanos();
        long next = lastActivity + idle;
        if (e == null && headStart != 0) {
            long due = headStart + frontend.requestHeaderNanos();
            if (now - due >= 0) {
                log.debug("{}: request head from {} too slow; closing", frontend.name(), client.remoteAddress());
                closeWith(HttpResponseStatus.REQUEST_TIMEOUT, "the request head did not arrive in time");
                return;
            }
            next = Math.min(next, due);
        }
        long due = e == null ? 0 : e.responseDue();
        if (due != 0) {
            if (now - due >= 0) {
                e.responseTimedOut();
                return;
            }
            next = Math.min(next, due);
        }
        if (now - (lastActivity + idle) >= 0) {
            log.debug("{}: closing {} after {} ms without traffic", frontend.name(), client.remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(now - lastActivity));
            if (e != null) {
                e.idleTimedOut();
            }
            state = State.CLOSED;
            releasePending();
            client.close();
            return;
        }
        ensureTimer(next);
    }
}
