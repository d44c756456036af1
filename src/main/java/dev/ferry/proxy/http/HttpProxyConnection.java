package dev.ferry.proxy.http;

import dev.ferry.transport.Reasons;
import dev.ferry.accesslog.AccessRecord;
import dev.ferry.accesslog.Termination;
import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.LingeringOptions;
import dev.ferry.logging.RateLimitedLog;
import dev.ferry.schedule.PickContext;
import dev.ferry.transport.Addresses;
import dev.ferry.transport.LocalFailures;
import dev.ferry.transport.LoopFlusher;
import dev.ferry.transport.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
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
 * One client connection of an http frontend, handling its requests one after another (pipelined requests wait in
 * order, so responses go back in order).
 *
 * <p>Per request: the head is routed ({@link Router}); the route's backend picks a server; a pooled connection to
 * it is claimed or a new one opened on this event loop; the head is rewritten ({@link ForwardingHeaders}) and sent;
 * the body streams to the server and the response streams back, each side read only while the other is writable.
 * When both messages are complete and both ends keep the connection alive, the server connection goes back to the
 * pool and the next request is taken.
 *
 * <p>Retries: a failed connect is retried on another server whatever the method (nothing was sent); a server
 * connection that closes before any response byte is retried for idempotent methods whose body (if any) has not
 * started to flow, since bodies are streamed, not kept. At most {@code retries} more servers, never one twice.
 *
 * <p>Ferry's own answers ({@link ErrorResponses}): 400/414/431 for requests the decoder rejects, 404 with no route,
 * 408 when the head is too slow, 502 when the server failed, 503 when no server is available or this machine cannot
 * open a connection to one ({@link LocalFailures}: never counted against the server, never retried), 504 when the
 * response does not start in time. Local answers to a request whose body has not been read keep the connection only
 * when the request declared no body; otherwise they close it, so an unread body is never taken for a request.
 *
 * <p>Closing after a response while the client may still be sending (an early answer to an upload, a pipelined
 * request behind a closing one) is a lingering close ({@link LingeringClose}, {@code http.lingering_close}), so the
 * response is not destroyed by the reset an abrupt close with unread bytes causes.
 *
 * <p>Threading: every method runs on the client channel's event loop, which is also the loop of its server
 * connections; no field needs synchronisation.
 */
final class HttpProxyConnection extends ChannelInboundHandlerAdapter
        implements UpstreamListener, RequestDecoder.Arrivals {
    private static final Logger log = LoggerFactory.getLogger(HttpProxyConnection.class);
    private static final RateLimitedLog INTERNAL_ERRORS = new RateLimitedLog(log, java.time.Duration.ofSeconds(10));
    /** Bodies up to this size leave in the same buffer as their response head. */
    private static final int SMALL_BODY = 1024;

    private enum State {
        /** Waiting for the next request head. */
        HEAD,
        /** A server is being connected; body parts wait in {@code pending}. */
        CONNECTING,
        /** The request is being forwarded and the response relayed. */
        EXCHANGE,
        /** Ferry answered the request itself; its (empty) body is being read and dropped. */
        DISCARD,
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

    // The current exchange.
    private RequestHead request;
    private Route route;
    private String requestId;
    private PickContext pick;
    private UpstreamConnection upstream;
    /** The current try on a server: the only thing that records the server's outcome. */
    private Attempt attempt;
    /** The server of the current (or last) attempt, for the access log. */
    private Server upstreamServer;
    private boolean requestDone;
    private long bodyBytes;
    private boolean responseStarted;
    private boolean informational;
    private boolean upgrade;
    private boolean clientKeepAlive;
    private boolean client10;
    private boolean upgrading;
    /** The current request was sent again on a fresh connection after a pooled one died under it. */
    private boolean resentFresh;
    /** The frontend is stopping: no further request on this connection. */
    private boolean draining;
    /** Bytes of the next request head have arrived (so the connection is not idle). */
    private boolean headBytes;
    private boolean closeAfter;
    private boolean upstreamReusable;
    private boolean wroteUpstream;
    /** Whether the response body goes to the client as chunks (see {@link ResponseFraming#chunkedToClient}). */
    private boolean chunkedToClient;
    /** Ferry's own answer waiting for the request body to be read, and whether the connection closes after it. */
    private ByteBuf localResponse;
    private boolean localResponseCloses;
    /**
     * The response head, held back until the first body part: a small body is copied behind it, so head and body
     * leave in one buffer (one send, not a writev of two).
     */
    private ByteBuf responseHead;

    // The access log's view of the current request (filled only while the access log is on).
    private long startNanos;
    private long connectStartNanos;
    private long connectNanos;
    private long responseBytes;
    private int status;
    private boolean logged;

    // Timers (System.nanoTime values; 0 = not running).
    private long headStart;
    private long requestSentAt;
    private long lastActivity;
    private Future<?> timer;
    private long timerAt;

    HttpProxyConnection(HttpFrontend frontend, Channel client) {
        this.frontend = frontend;
        this.client = client;
        this.pool = frontend.pool(client.eventLoop());
        this.lingering = frontend.lingering();
        this.source = (InetSocketAddress) client.remoteAddress();
        this.destination = (InetSocketAddress) client.localAddress();
        this.clientAddress = ForwardingHeaders.Client.of(source);
    }

    /**
     * Bytes from the client, before they are decoded ({@link RequestDecoder}): counted, and the clocks of the
     * connection set (activity, and the request_header clock when they start a request head).
     */
    @Override
    public void bytesArrived(int bytes) {
        frontend.stats().addBytesFromClient(bytes);
        long now = System.nanoTime();
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
        long now = System.nanoTime();
        lastActivity = now;
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
        flushUpstream();
        readClientIfReady();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamConnection u = upstream;
        if (client.isWritable() && u != null && state == State.EXCHANGE) {
            u.channel().read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State was = state;
        if (was == State.CONNECTING || was == State.EXCHANGE || was == State.DISCARD) {
            logAccess(Termination.CLIENT_CLOSED);
        }
        state = State.CLOSED;
        releasePending();
        releaseLocalResponse();
        if (responseHead != null) {
            responseHead.release();
            responseHead = null;
        }
        cancelTimer();
        UpstreamConnection u = upstream;
        upstream = null;
        if (u != null && was != State.TUNNEL) {
            // The client left mid-exchange: the server connection is somewhere inside a message; never reuse it.
            u.channel().close();
        }
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
        if (open && !responseStarted && (request != null || headBytes || !pending.isEmpty())) {
            closeWith(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
            return;
        }
        if (open && request != null) {
            logAccess(Termination.INTERNAL_ERROR);
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
                clientAddress = ForwardingHeaders.Client.of(source);
            }
        } finally {
            header.release();
        }
    }

    /**
     * The frontend stops: an idle connection (between requests, nothing of the next one read) closes now; a busy
     * one closes after the response in progress, or, before that response's head went out, announces it.
     */
    void drain() {
        draining = true;
        if (state == State.HEAD && pending.isEmpty() && !headBytes) {
            state = State.CLOSED;
            client.close();
        }
    }

    /** Processes what the client sent as far as the current state allows. */
    private void drive() {
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
                case DISCARD -> {
                    Object msg = pending.poll();
                    if (msg == null) {
                        return;
                    }
                    if (msg instanceof DecodeFailure failure) {
                        rejectMalformed(failure);
                        return;
                    }
                    boolean last = msg instanceof LastHttpContent;
                    ReferenceCountUtil.release(msg);
                    if (last) {
                        requestDone = true;
                        sendLocalResponse(false);
                    }
                }
                case EXCHANGE -> {
                    if (requestDone) {
                        return;
                    }
                    Object msg = pending.poll();
                    if (msg == null) {
                        return;
                    }
                    if (msg instanceof DecodeFailure failure) {
                        dropUpstream();
                        rejectMalformed(failure);
                        return;
                    }
                    forwardBody((HttpContent) msg);
                    UpstreamConnection u = upstream;
                    if (u == null || !u.channel().isWritable()) {
                        return;
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    private void readClientIfReady() {
        if (!pending.isEmpty() || !client.isActive()) {
            return;
        }
        switch (state) {
            case HEAD, DISCARD -> ctx.read();
            case EXCHANGE -> {
                UpstreamConnection u = upstream;
                if (!requestDone && u != null && u.channel().isWritable()) {
                    ctx.read();
                }
            }
            default -> {
                // CONNECTING: what arrived waits for the server; TUNNEL/CLOSED: not ours to read.
            }
        }
    }

    private void onHead(RequestHead head) {
        headStart = 0;
        headBytes = false;
        request = head;
        // The clock read when the head's last bytes arrived (bytesArrived), or when the response before it ended.
        startNanos = lastActivity;
        connectNanos = -1;
        responseBytes = 0;
        status = 0;
        logged = false;
        route = null;
        upstreamServer = null;
        requestDone = false;
        bodyBytes = 0;
        responseStarted = false;
        informational = false;
        closeAfter = false;
        requestSentAt = 0;
        requestId = ForwardingHeaders.requestId(head);
        clientKeepAlive = head.isKeepAlive();
        client10 = head.version().minorVersion() == 0;
        upgrading = false;
        resentFresh = false;
        String problem = RequestChecks.problem(head);
        if (problem != null) {
            closeWith(HttpResponseStatus.BAD_REQUEST, problem);
            return;
        }
        RequestHost.settle(head, destination);
        if (head.method() == HttpMethod.CONNECT) {
            local(HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not supported here");
            return;
        }
        RequestTarget target = new RequestTarget(head);
        route = frontend.router().route(target);
        if (route == null) {
            local(HttpResponseStatus.NOT_FOUND, "no route matches this request");
            return;
        }
        Backend backend = route.backend();
        long hashKey = backend.hashKey().keyOf(source, backend.hashKey().needsHttp() ? new RequestView(head) : null);
        pick = new PickContext(source, frontend.destinationFor(route, target), hashKey, List.of(), 0);
        upgrade = head.fields().contains("upgrade") && head.fields().listHas("connection", "upgrade");
        frontend.forwarding().request(head, clientAddress, upgrade, requestId);
        state = State.CONNECTING;
        assignServer();
    }

    private void rejectMalformed(DecodeFailure failure) {
        log.debug("{}: {} from {}: {}", frontend.name(), failure.status().code(), client.remoteAddress(),
                failure.detail());
        closeWith(failure.status(), failure.detail());
    }

    // ---- choosing and connecting a server ----

    private void assignServer() {
        Backend backend = route.backend();
        Server server = backend.pick(pick);
        if (server == null) {
            if (pick.attempt() == 0) {
                frontend.stats().rejectedNoServer();
                local(HttpResponseStatus.SERVICE_UNAVAILABLE, "no server is available");
            } else {
                local(HttpResponseStatus.BAD_GATEWAY, "the server failed and no other server is left to try");
            }
            return;
        }
        upstreamServer = server;
        attempt = new Attempt(server);
        UpstreamConnection pooled = pool.acquire(server, this);
        if (pooled != null) {
            connectNanos = 0;
            upstream = pooled;
            startExchange();
            return;
        }
        connectFresh(server);
    }

    /** Opens a new connection to {@code server} for the current request; the exchange starts once connected. */
    private void connectFresh(Server server) {
        Backend backend = route.backend();
        UpstreamConnection fresh = pool.newConnection(server);
        upstream = fresh;
        connectStartNanos = System.nanoTime();
        ChannelFuture connect = pool.connect(fresh, frontend.connectTimeoutMillis(backend));
        // A PROXY header speaks for one client, so such connections are never shared (see responseDone).
        server.sendProxy().ifPresent(v -> ProxyProtocol.write(connect.channel(), v, source, destination));
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

    /**
     * A pooled connection closed (or was reset) under the request before any byte of a response: most likely the
     * server closed it as idle while the request was on its way, so nothing was processed. An idempotent request
     * whose body has not started to flow is sent once more, to the same server on a fresh connection, and nobody's
     * failure is counted (nginx does the same with its cached upstream connections); a fresh connection that fails
     * is an ordinary failure.
     */
    private boolean resendOnFreshConnection(UpstreamConnection c) {
        if (c.reuses() <= 0 || resentFresh || !isIdempotent(request.method()) || bodyBytes != 0 || informational) {
            return false;
        }
        resentFresh = true;
        frontend.stats().retried();
        log.debug("{}: [{}] the pooled connection to {} closed before responding (reused {} times); resending on a "
                + "fresh connection", frontend.name(), requestId, c.server().name(), c.reuses());
        state = State.CONNECTING;
        attempt = new Attempt(c.server());
        connectFresh(c.server());
        return true;
    }

    private void connected(UpstreamConnection c, ChannelFuture connect) {
        if (upstream != c) {
            c.channel().close();
            return;
        }
        if (!connect.isSuccess()) {
            upstream = null;
            c.connectFailed();
            Server server = c.server();
            if (LocalFailures.isLocal(connect.cause())) {
                // Ferry's own limit (file descriptors, ports, memory): not the server's failure, and no other server
                // would fare better; the same rule as at layer 4.
                frontend.stats().localFailure();
                frontend.stats().rejectedNoServer();
                frontend.localFailures().warn("{}: [{}] cannot open a connection to {}: {} (a limit of this machine, "
                        + "not a failure of the server); answering 503", frontend.name(), requestId, server.name(),
                        Reasons.of(connect.cause()));
                local(HttpResponseStatus.SERVICE_UNAVAILABLE, "Ferry cannot open a connection to a server now");
                return;
            }
            attempt.failed();
            String why = Reasons.of(connect.cause());
            if (pick.attempt() < route.backend().config().retries()) {
                log.debug("{}: [{}] connect to {} failed: {}; trying another server", frontend.name(), requestId,
                        server.name(), why);
                retry(server);
            } else {
                log.warn("{}: [{}] connect to {} ({}) failed: {}", frontend.name(), requestId, server.name(),
                        server.address(), why);
                local(HttpResponseStatus.BAD_GATEWAY, "could not connect to the server");
            }
            return;
        }
        lastActivity = System.nanoTime();
        connectNanos = lastActivity - connectStartNanos;
        c.claim(this);
        startExchange();
    }

    private void retry(Server failed) {
        frontend.stats().retried();
        pick = pick.retryAvoiding(failed);
        state = State.CONNECTING;
        assignServer();
    }

    private void startExchange() {
        state = State.EXCHANGE;
        UpstreamConnection u = upstream;
        Channel ch = u.channel();
        upstreamReusable = true;
        u.expectResponseTo(request.method() == HttpMethod.HEAD);
        ch.write(request.encode(ch.alloc()), ch.voidPromise());
        if (requestDone) {
            // A retry of a request without a body: the end of the message was consumed by the first attempt.
            BodyWriter.write(ch, LastHttpContent.EMPTY_LAST_CONTENT, request.isChunked());
            markRequestSent();
        }
        wroteUpstream = true;
        drive();
        flushUpstream();
        ch.read();
        readClientIfReady();
    }

    private void forwardBody(HttpContent content) {
        UpstreamConnection u = upstream;
        int bytes = content.content().readableBytes();
        bodyBytes += bytes;
        u.server().addBytesOut(bytes);
        boolean last = content instanceof LastHttpContent;
        BodyWriter.write(u.channel(), content, request.isChunked());
        wroteUpstream = true;
        if (last) {
            requestDone = true;
            markRequestSent();
        }
    }

    private void markRequestSent() {
        if (!responseStarted) {
            // Sending happens within the event that brought the request's end (or the server connection's success).
            long now = lastActivity;
            requestSentAt = now;
            ensureTimer(now + route.backend().config().timeouts().response().toNanos());
        }
    }

    private void flushUpstream() {
        if (wroteUpstream) {
            wroteUpstream = false;
            UpstreamConnection u = upstream;
            if (u != null) {
                LoopFlusher.flushSoon(u.channel());
            }
        }
    }

    // ---- server side ----

    @Override
    public void upstreamRead(UpstreamConnection c, Object msg) {
        if (c != upstream || state != State.EXCHANGE) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ResponseHead response) {
            lastActivity = System.nanoTime();
            onResponseHead(c, response);
        } else if (msg instanceof HttpContent content) {
            if (!(content instanceof LastHttpContent)) {
                lastActivity = System.nanoTime();
            }
            onResponseContent(c, content);
        } else if (msg instanceof DecodeFailure failure) {
            log.warn("{}: [{}] invalid response from {}: {}", frontend.name(), requestId, c.server().name(),
                    failure.detail());
            if (!responseStarted) {
                status = HttpResponseStatus.BAD_GATEWAY.code();
            }
            logAccess(Termination.SERVER_BROKEN);
            attempt.failed();
            dropUpstream();
            if (responseStarted) {
                client.close();
            } else {
                local(HttpResponseStatus.BAD_GATEWAY, "the server sent an invalid response");
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(UpstreamConnection c, ResponseHead response) {
        int code = response.code();
        if (code == 101) {
            if (upgrade) {
                // The empty end of the 101 follows; the relay takes over after it.
                upgrading = true;
                frontend.forwarding().response(response, true);
                toClient(response.encode(client.alloc(), 0));
            } else {
                attempt.failed();
                dropUpstream();
                local(HttpResponseStatus.BAD_GATEWAY, "the server switched protocols without being asked");
            }
            return;
        }
        if (code < 200) {
            // 1xx (100 Continue, 103 Early Hints): passed on as they come, but never to an HTTP/1.0 client, which
            // cannot read them (RFC 9110 15.2); the final response follows.
            informational = true;
            if (!client10) {
                frontend.forwarding().response(response, false);
                toClient(response.encode(client.alloc(), 0));
            }
            return;
        }
        responseStarted = true;
        status = code;
        // Passive health at layer 7: a 5xx counts against the server, anything else for it; the time to the
        // response head is the latency ewma compares.
        attempt.responded(code, requestSentAt != 0 ? lastActivity - requestSentAt : -1);
        upstreamReusable = response.connectionReusable() && response.framing() != ResponseHead.Framing.UNTIL_CLOSE;
        frontend.forwarding().response(response, false);
        // The client connection ends after this response when the client asked so, or when the server answered
        // before the whole request body arrived (the rest of it would be read as a request).
        closeAfter = ResponseFraming.prepare(response, client10, clientKeepAlive && requestDone && !draining);
        chunkedToClient = ResponseFraming.chunkedToClient(response, client10);
        if (log.isDebugEnabled()) {
            log.debug("{}: [{}] {} {} -> {}/{} {}", frontend.name(), requestId, request.method(), request.uri(),
                    route.backend().name(), c.server().name(), code);
        }
        responseHead = response.encode(client.alloc(), response.framing() == ResponseHead.Framing.LENGTH
                && response.contentLength() <= SMALL_BODY ? (int) response.contentLength() : 0);
    }

    /** Writes the held response head, if any, to the client (not flushed). */
    private void writeResponseHead() {
        ByteBuf head = responseHead;
        if (head != null) {
            responseHead = null;
            toClient(head);
        }
    }

    /** Writes to the client (not flushed), counting the bytes into the frontend's stats. */
    private void toClient(ByteBuf bytes) {
        frontend.stats().addBytesToClient(bytes.readableBytes());
        client.write(bytes, client.voidPromise());
    }

    private void onResponseContent(UpstreamConnection c, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (upgrading || informational) {
            // The (empty) end of a 101 or another 1xx.
            ReferenceCountUtil.release(content);
            if (last && upgrading) {
                switchToTunnel(c);
            } else if (last) {
                informational = false;
            }
            return;
        }
        int bytes = content.content().readableBytes();
        responseBytes += bytes;
        c.server().addBytesIn(bytes);
        ByteBuf head = responseHead;
        if (head != null && !chunkedToClient && bytes <= head.writableBytes()) {
            responseHead = null;
            head.writeBytes(content.content());
            content.release();
            toClient(head);
        } else {
            writeResponseHead();
            frontend.stats().addBytesToClient(BodyWriter.write(client, content, chunkedToClient));
        }
        if (last) {
            LoopFlusher.flushSoon(client);
            responseDone(c);
        }
    }

    private void responseDone(UpstreamConnection c) {
        logAccess(Termination.OK);
        boolean maySend = clientMaySend();
        upstream = null;
        if (!c.atMessageBoundary()) {
            c.discard("the server sent more bytes than its response held");
        } else if (upstreamReusable && requestDone && c.server().sendProxy().isEmpty()) {
            pool.release(c);
        } else {
            c.channel().close();
        }
        request = null;
        route = null;
        if (closeAfter || !client.isActive()) {
            state = State.CLOSED;
            releasePending();
            closeAfterResponse(Unpooled.EMPTY_BUFFER, maySend);
            return;
        }
        state = State.HEAD;
        if (!pending.isEmpty()) {
            headStart = System.nanoTime();
        }
        drive();
        readClientIfReady();
    }

    @Override
    public void upstreamReadComplete(UpstreamConnection c) {
        writeResponseHead();
        LoopFlusher.flushSoon(client);
        if (c == upstream && client.isWritable()) {
            c.channel().read();
        }
    }

    @Override
    public void upstreamWritabilityChanged(UpstreamConnection c) {
        if (c == upstream && state == State.EXCHANGE && c.channel().isWritable()) {
            drive();
            flushUpstream();
            readClientIfReady();
        }
    }

    @Override
    public void upstreamClosed(UpstreamConnection c) {
        if (c != upstream) {
            return;
        }
        upstream = null;
        if (state != State.EXCHANGE) {
            return;
        }
        Server server = c.server();
        if (responseStarted) {
            log.warn("{}: [{}] {} closed the connection in the middle of the response", frontend.name(), requestId,
                    server.name());
            logAccess(Termination.SERVER_CLOSED);
            attempt.failed();
            writeResponseHead();
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            state = State.CLOSED;
            return;
        }
        if (resendOnFreshConnection(c)) {
            return;
        }
        attempt.failed();
        boolean retryable = isIdempotent(request.method()) && bodyBytes == 0 && !informational
                && pick.attempt() < route.backend().config().retries();
        if (retryable) {
            log.debug("{}: [{}] {} closed the connection before responding (reused {} times); retrying elsewhere",
                    frontend.name(), requestId, server.name(), c.reuses());
            retry(server);
        } else {
            log.warn("{}: [{}] {} closed the connection before responding", frontend.name(), requestId, server.name());
            local(HttpResponseStatus.BAD_GATEWAY, "the server closed the connection before responding");
        }
    }

    private static boolean isIdempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    /** Abandons the current server connection (it may be inside a message): closed, never pooled. */
    private void dropUpstream() {
        UpstreamConnection u = upstream;
        upstream = null;
        if (u != null) {
            u.channel().close();
        }
    }

    // ---- WebSocket and other upgrades ----

    private void switchToTunnel(UpstreamConnection c) {
        status = 101;
        logAccess(Termination.UPGRADED);
        state = State.TUNNEL;
        upstream = null;
        releasePending();
        cancelTimer();
        Channel server = c.channel();
        client.flush();
        long idle = Math.min(frontend.clientIdleNanos(), route.backend().config().timeouts().serverIdle().toNanos());
        // Relays first, then the decoders go: bytes they have not decoded are passed on to the relays.
        ChannelPipeline cp = client.pipeline();
        cp.addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.NANOSECONDS));
        cp.addLast("tunnel", new TunnelRelay(server));
        ChannelPipeline sp = server.pipeline();
        sp.addLast("tunnel", new TunnelRelay(client));
        sp.remove(c);
        sp.remove("http");
        cp.remove(this);
        // From here on the client's bytes are counted as they pass, as on a tcp frontend.
        cp.addBefore("http", "bytes", frontend.byteCounter());
        cp.remove("http");
        log.debug("{}: [{}] upgraded; relaying bytes to {}", frontend.name(), requestId, c.server().name());
    }

    // ---- Ferry's own responses ----

    /** Answers the current request with {@code status}; keeps the connection when that is safe. */
    private void local(HttpResponseStatus status, String detail) {
        dropUpstream();
        boolean bodyPending = !requestDone && request != null && request.declaresBody();
        boolean close = !clientKeepAlive || bodyPending || draining;
        if (status.code() >= 500) {
            log.debug("{}: [{}] {} {}", frontend.name(), requestId, status.code(), detail);
        }
        this.status = status.code();
        logAccess(Termination.ofLocalReply(status.code()));
        localResponse = ErrorResponses.of(client.alloc(), status, detail, close, requestId, isHeadRequest());
        localResponseCloses = close;
        if (close) {
            boolean maySend = clientMaySend();
            requestDone = true;
            sendLocalResponse(maySend);
        } else if (requestDone) {
            sendLocalResponse(false);
        } else {
            state = State.DISCARD;
            drive();
            readClientIfReady();
        }
    }

    /** @param clientMaySend the client may still be sending (see {@link #clientMaySend()}), should it close */
    private void sendLocalResponse(boolean clientMaySend) {
        ByteBuf r = localResponse;
        localResponse = null;
        boolean close = localResponseCloses;
        request = null;
        route = null;
        if (close) {
            state = State.CLOSED;
            releasePending();
            frontend.stats().addBytesToClient(r.readableBytes());
            closeAfterResponse(r, clientMaySend);
            return;
        }
        toClient(r);
        client.flush();
        state = State.HEAD;
        if (!pending.isEmpty()) {
            headStart = System.nanoTime();
        }
        drive();
        readClientIfReady();
    }

    /** Answers with {@code status} and closes: the connection is past saving (bad input, a timeout). */
    private void closeWith(HttpResponseStatus status, String detail) {
        this.status = status.code();
        if (request == null) {
            // A head that never decoded (or never came): the record says what little is known.
            startNanos = System.nanoTime();
            logged = false;
        }
        logAccess(Termination.ofLocalReply(status.code()));
        dropUpstream();
        // A client too slow to send its head is not waited for any longer.
        boolean lingerable = status != HttpResponseStatus.REQUEST_TIMEOUT;
        boolean maySend = clientMaySend();
        state = State.CLOSED;
        releasePending();
        releaseLocalResponse();
        if (client.isActive()) {
            ByteBuf r = ErrorResponses.of(client.alloc(), status, detail, true, requestId, isHeadRequest());
            frontend.stats().addBytesToClient(r.readableBytes());
            if (lingerable) {
                closeAfterResponse(r, maySend);
            } else {
                client.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /**
     * Whether the client may still be sending when Ferry closes: the current request's body has not been read to its
     * end, or bytes of a further request have arrived (decoded or not). What {@code lingering_close: on} lingers for.
     */
    private boolean clientMaySend() {
        if (headBytes || (request != null && !requestDone && request.declaresBody())) {
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
     * Writes {@code last} (owned from here; may be empty) behind the response already queued and closes the client
     * connection: with a lingering close ({@link LingeringClose}) when {@code http.lingering_close} says so, for
     * {@code on} only when {@code clientMaySend}; else at once once written, as before lingering existed.
     */
    private void closeAfterResponse(ByteBuf last, boolean clientMaySend) {
        LingeringOptions.Mode mode = lingering.mode();
        boolean linger = mode == LingeringOptions.Mode.ALWAYS || (mode == LingeringOptions.Mode.ON && clientMaySend);
        if (linger && client.isActive()) {
            cancelTimer();
            LingeringClose.begin(client, last, lingering, frontend.lingeringStats(), frontend.stats(),
                    System::nanoTime);
        } else {
            client.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Whether the current request is a HEAD request (its answers carry no body). */
    private boolean isHeadRequest() {
        return request != null && request.method() == HttpMethod.HEAD;
    }

    private void releasePending() {
        for (Object msg; (msg = pending.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void releaseLocalResponse() {
        if (localResponse != null) {
            localResponse.release();
            localResponse = null;
        }
    }

    // ---- access log ----

    /** Reports the current request once: to the request metrics, and to the access log when that is on. */
    private void logAccess(Termination termination) {
        if (logged) {
            return;
        }
        logged = true;
        long now = System.nanoTime();
        long durationNanos = now - startNanos;
        if (request != null) {
            frontend.requestEnded(route, upstreamServer, status, durationNanos);
        }
        if (!frontend.accessLog().enabled()) {
            return;
        }
        RequestHead r = request;
        Server s = upstreamServer;
        Route rt = route;
        frontend.accessLog().log(new AccessRecord(System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(durationNanos),
                Addresses.format(source), frontend.name(), rt == null ? "-" : rt.backend().name(),
                s == null ? "-" : s.name(), status, r == null ? "-" : r.method().name() + " " + r.uri(), bodyBytes,
                responseBytes, connectNanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(connectNanos),
                TimeUnit.NANOSECONDS.toMillis(durationNanos), termination, requestId == null ? "-" : requestId));
    }

    // ---- timeouts ----

    /** Makes sure a check runs no later than {@code deadline}; one timer serves every timeout of the connection. */
    private void ensureTimer(long deadline) {
        if (timer != null && deadline - timerAt >= 0) {
            return;
        }
        timerAt = deadline;
        timer = client.eventLoop().schedule(this::checkTimeouts, Math.max(0, deadline - System.nanoTime()),
                TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void checkTimeouts() {
        timer = null;
        if (state == State.CLOSED || state == State.TUNNEL) {
            return;
        }
        long now = System.nanoTime();
        long idle = state == State.HEAD ? frontend.clientIdleNanos() : exchangeIdleNanos();
        long next = lastActivity + idle;
        if (state == State.HEAD && headStart != 0) {
            long due = headStart + frontend.requestHeaderNanos();
            if (now - due >= 0) {
                log.debug("{}: request head from {} too slow; closing", frontend.name(), client.remoteAddress());
                closeWith(HttpResponseStatus.REQUEST_TIMEOUT, "the request head did not arrive in time");
                return;
            }
            next = Math.min(next, due);
        }
        if (state == State.EXCHANGE && !responseStarted && requestSentAt != 0) {
            long due = requestSentAt + route.backend().config().timeouts().response().toNanos();
            if (now - due >= 0) {
                Server s = upstream != null ? upstream.server() : null;
                log.warn("{}: [{}] {} did not respond within {} ms", frontend.name(), requestId,
                        s == null ? "the server" : s.name(), route.backend().config().timeouts().response().toMillis());
                if (s != null) {
                    attempt.failed();
                }
                local(HttpResponseStatus.GATEWAY_TIMEOUT, "the server did not respond in time");
                return;
            }
            next = Math.min(next, due);
        }
        if (now - (lastActivity + idle) >= 0) {
            log.debug("{}: closing {} after {} ms without traffic", frontend.name(), client.remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(now - lastActivity));
            if (state != State.HEAD) {
                logAccess(Termination.IDLE_TIMEOUT);
            }
            dropUpstream();
            state = State.CLOSED;
            releasePending();
            client.close();
            return;
        }
        ensureTimer(next);
    }

    private long exchangeIdleNanos() {
        long server = route != null ? route.backend().config().timeouts().serverIdle().toNanos() : Long.MAX_VALUE;
        return Math.min(frontend.clientIdleNanos(), server);
    }
}
