package dev.ferry.proxy.http;

import dev.ferry.accesslog.AccessRecord;
import dev.ferry.accesslog.Termination;
import dev.ferry.backend.Backend;
import dev.ferry.backend.BackendQueue;
import dev.ferry.backend.Server;
import dev.ferry.proxy.admission.HttpAdmission;
import dev.ferry.proxy.admission.RequestPass;
import dev.ferry.schedule.PickContext;
import dev.ferry.config.Addresses;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request and its response (Envoy's active stream): made when a request head arrives, gone when the response
 * ended, so nothing of one request is left over for the next. It routes the request ({@link Router}), has the route's
 * backend pick a server, rewrites the head ({@link ForwardingHeaders}), runs one {@link Attempt} per try, relays the
 * body to the server and the response back, answers itself when it must, and makes the request's access-log record.
 *
 * <p>Retries: a failed connect is retried on another server whatever the method (nothing was sent); a server
 * connection that closes before any response byte is retried for idempotent methods whose body (if any) has not
 * started to flow, since bodies are streamed, not kept. At most {@code retries} more servers, never one twice.
 *
 * <p>Ferry's own answers ({@link ErrorResponses}): 404 with no route, 405 for CONNECT, 502 when the server failed,
 * 503 when no server is available or this machine cannot open a connection to one (never counted against the server,
 * never retried), 504 when the response does not start in time (the backend's {@code response} timeout, or a gRPC
 * request's {@code grpc-timeout} when sooner). To a gRPC request they are gRPC-shaped ({@link GrpcReplies}: HTTP 200,
 * trailers-only, the {@code grpc-status} of {@link GrpcStatus}); the access log and the request metrics still
 * record the HTTP status meant (503, 504...), which with the record's termination names the cause. Answers to a
 * request whose body has not been read keep the connection only when the request declared no body; otherwise they
 * close it, so an unread body is never taken for a request.
 *
 * <p>It sees neither the client's nor the server's protocol: requests and responses are {@link RequestHeaders} and
 * {@link ResponseHeaders}, bodies Netty's {@link HttpContent}; what goes to the client goes through a
 * {@link DownstreamStream}, what goes to the server through the attempt's {@link UpstreamStream}. The client
 * connection ({@link DownstreamConnection}) hands the exchange the request's body parts while it
 * {@link #takesBody() takes them}. Every answer of Ferry's own leaves through {@link #localReply}.
 *
 * <p>Threading: every method runs on the client channel's event loop, which is also the loop of its server
 * connections.
 */
final class Exchange {
    /** Under the connection's name, which log settings (and operators) already know. */
    private static final Logger log = LoggerFactory.getLogger(HttpProxyConnection.class);

    private enum Phase {
        /** A server is being chosen or connected; body parts wait in the connection. */
        CONNECTING,
        /** The request is being forwarded and the response relayed. */
        FORWARDING,
        /** Ferry answers the request itself once its (empty) body has been read and dropped. */
        DISCARD,
        /** The response is complete or the exchange was abandoned. */
        ENDED
    }

    private final DownstreamConnection connection;
    private final DownstreamStream downstream;
    private final HttpFrontend frontend;
    /** Null only for the record of a head that never decoded (or never came): see {@link #headless}. */
    private final RequestHeaders request;
    private final String requestId;
    /** The request's gRPC view, null when it is not gRPC: then answers are gRPC-shaped, grpc-timeout a deadline. */
    private final GrpcRequest grpc;
    private Phase phase = Phase.CONNECTING;

    private Route route;
    /** The template values of the route's actions; null when the route has none (every action stage is skipped). */
    private ActionValues actionValues;
    private PickContext pick;
    /** The request's part in its backend's sticky cookie and stick table; null when the backend has neither. */
    private StickyRequest sticky;
    private boolean upgrade;
    /** The current try; the only thing that records a server's outcome. */
    private Attempt attempt;
    /** The request's place in its backend's queue while every server is full ({@code queue:}); null otherwise. */
    private BackendQueue.Ticket queued;
    /** The server of the current (or last) attempt, for the access log. */
    private Server server;
    private boolean requestDone;
    private long bodyBytes;
    private boolean responseStarted;
    private boolean informational;
    private boolean upgrading;
    /** The request was sent again on a fresh connection after a pooled one died under it. */
    private boolean resentFresh;
    private boolean closeAfter;
    private boolean wroteUpstream;
    /** Ferry's own answer waiting for the request body to be read (phase DISCARD). */
    private HttpResponseStatus localStatus;
    private String localDetail;
    /** The route's own answer waiting for the request body to be read, in place of localStatus's text. */
    private RouteAnswer.Response localAnswer;
    private long localRetryAfter;
    /** The request's access and rate-limit admission (null: the frontend has no such rules); released at its end. */
    private RequestPass pass;
    /** When the request's end went to the server (0: not yet), for the response timeout and the latency. */
    private long requestSentAt;

    // The access log's view of the request.
    private final long startNanos;
    private long connectStartNanos;
    private long connectNanos = -1;
    private long responseBytes;
    private int status;
    private boolean logged;

    private Exchange(DownstreamConnection connection, DownstreamStream downstream, RequestHeaders request,
                     long startNanos) {
        this.connection = connection;
        this.downstream = downstream;
        this.frontend = connection.frontend();
        this.request = request;
        this.startNanos = startNanos;
        this.requestId = request != null ? ForwardingHeaders.requestId(request) : null;
        this.grpc = request != null ? GrpcRequest.of(request) : null;
    }

    /**
     * The exchange of a request head (checked by its codec).
     *
     * @param startNanos when the head's last bytes arrived (or the response before it ended)
     */
    static Exchange of(DownstreamConnection connection, DownstreamStream downstream, RequestHeaders request,
                       long startNanos) {
        return new Exchange(connection, downstream, request, startNanos);
    }

    /** The exchange of a head that never decoded (or never came): its record says what little is known. */
    static Exchange headless(DownstreamConnection connection, DownstreamStream downstream, long now) {
        Exchange e = new Exchange(connection, downstream, null, now);
        e.phase = Phase.ENDED;
        return e;
    }

    // ---- what the connection asks ----

    InetSocketAddress source() {
        return connection.source();
    }

    InetSocketAddress destination() {
        return connection.destination();
    }

    /** Whether the response has started to go to the client (its head was passed on). */
    boolean responseStarted() {
        return responseStarted;
    }

    /** Whether the connection should hand this exchange the next request body part now. */
    boolean takesBody() {
        return phase == Phase.DISCARD || (phase == Phase.FORWARDING && !requestDone);
    }

    /** Whether the connection should read more of the client now. */
    boolean readsClient() {
        return phase == Phase.DISCARD || (phase == Phase.FORWARDING && !requestDone && attempt.isWritable());
    }

    /** Whether the client may still send a body this exchange has not read to its end. */
    boolean bodyMayFollow() {
        return request != null && !requestDone && request.declaresBody();
    }

    /** Whether the request is a HEAD request (its answers carry no body). */
    boolean isHeadRequest() {
        return request != null && request.method() == HttpMethod.HEAD;
    }

    /** The idle timeout while this exchange runs: the shorter of the client's and the route's server idle. */
    long idleNanos() {
        long server = route != null && route.backend() != null
                ? route.backend().config().timeouts().serverIdle().toNanos() : Long.MAX_VALUE;
        return Math.min(frontend.clientIdleNanos(), server);
    }

    /**
     * When the response is due, or 0 when not waiting: the backend's response timeout after the request went, or a
     * gRPC request's {@code grpc-timeout} after its head arrived when that is sooner (also while the request is still
     * being sent, and while a server is being connected).
     */
    long responseDue() {
        if (responseStarted || route == null) {
            return 0;
        }
        if (phase == Phase.CONNECTING) {
            return grpc != null && grpc.hasDeadline() ? grpc.dueAt(startNanos) : 0;
        }
        if (phase != Phase.FORWARDING) {
            return 0;
        }
        return grpc == null ? backendDue() : grpc.earliest(startNanos, backendDue());
    }

    /** When the backend's response timeout runs out for the request sent (0: not sent yet). */
    private long backendDue() {
        return requestSentAt == 0 ? 0 : requestSentAt + route.backend().config().timeouts().response().toNanos();
    }

    boolean isForwarding(Attempt a) {
        return a == attempt && phase == Phase.FORWARDING;
    }

    // ---- the request ----

    /** Starts the exchange: routes and picks. Ends in a local answer or the first attempt. */
    void start() {
        RequestHeaders head = request;
        if (head.method() == HttpMethod.CONNECT) {
            localReply(HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not supported here", false);
            return;
        }
        RequestTarget target = new RequestTarget(head);
        HttpAdmission admission = frontend.admission();
        RequestView view = null;
        if (admission.active()) {
            pass = new RequestPass();
            view = new RequestView(head);
            if (!admission.admitsBeforeRouting(pass, source(), view, connection.now())) {
                refuse();
                return;
            }
        }
        route = frontend.router().route(target);
        if (route == null) {
            localReply(HttpResponseStatus.NOT_FOUND, "no route matches this request", false);
            return;
        }
        if (pass != null && !admission.admitsOnRoute(route.name(), pass, source(), view, connection.now())) {
            refuse();
            return;
        }
        if (route.actions() != null) {
            actionValues = new ActionValues(head, target, requestId, frontend.name(),
                    frontend.config().tls().isPresent(), source(), route.backendName());
            if (route.actions().answer() != null) {
                answerByRoute(route.actions());
                return;
            }
        }
        Backend backend = route.backend();
        InetSocketAddress source = source();
        long hashKey = backend.hashKey().keyOf(source, backend.hashKey().needsHttp() ? new RequestView(head) : null);
        pick = new PickContext(source, frontend.destinationFor(route, target), hashKey, List.of(), 0);
        sticky = StickyRequest.of(backend, head, source);
        upgrade = head.asksUpgrade();
        if (grpc != null && grpc.timeoutIgnored()) {
            log.debug("{}: [{}] ignoring the malformed grpc-timeout '{}'", frontend.name(), requestId,
                    grpc.timeoutText());
        } else if (grpc != null && grpc.hasDeadline()) {
            // The connection's timer checks responseDue from here on (and keeps itself set for it).
            connection.ensureTimer(grpc.dueAt(startNanos));
        }
        frontend.forwarding().request(head, connection.clientAddress(), upgrade, requestId);
        assignServer();
    }

    /**
     * One part of the request body from the client (owned from here on).
     *
     * @return whether the next part may follow at once (the server connection takes more)
     */
    boolean requestBody(HttpContent content) {
        return requestBody(content, null);
    }

    /**
     * One part of the request body, as {@link #requestBody(HttpContent)}; {@code written} (when not null) runs once
     * its bytes went on to the server (or were dropped: a body Ferry reads only to discard, a failed connection).
     */
    boolean requestBody(HttpContent content, Runnable written) {
        boolean last = content instanceof LastHttpContent;
        if (phase == Phase.DISCARD) {
            ReferenceCountUtil.release(content);
            if (written != null) {
                written.run();
            }
            if (last) {
                requestDone = true;
                sendDeferredReply();
            }
            return true;
        }
        bodyBytes += content.content().readableBytes();
        attempt.sendData(content, written);
        wroteUpstream = true;
        if (last) {
            requestDone = true;
            markRequestSent();
        }
        return attempt.isWritable();
    }

    /** The client's bytes no longer make sense (a body that does not decode): the server connection goes. */
    void requestBroken() {
        abandonAttempt();
    }

    /** The client connection is writable again: the response may be read on. */
    void clientWritable() {
        if (phase == Phase.FORWARDING) {
            attempt.read();
        }
    }

    /** Flushes what went to the server during this event-loop turn. */
    void flushUpstream() {
        if (wroteUpstream) {
            wroteUpstream = false;
            if (attempt != null) {
                attempt.flush();
            }
        }
    }

    /** The client connection closed: whatever was in flight is abandoned. */
    void clientClosed() {
        logAccess(Termination.CLIENT_CLOSED);
        phase = Phase.ENDED;
        downstream.release();
        // The server connection is somewhere inside a message: never reuse it.
        abandonAttempt();
    }

    // ---- choosing and connecting a server ----

    private void assignServer() {
        assignServer(null);
    }

    /** @param fallback the server to use when the scheduler has no other (a refused request), or null */
    private void assignServer(Server fallback) {
        phase = Phase.CONNECTING;
        Backend backend = route.backend();
        Server picked = sticky != null ? sticky.pick(backend, pick) : backend.pick(pick);
        if (picked == null) {
            picked = fallback;
        }
        if (picked == null && pick.attempt() == 0 && waitInQueue(backend)) {
            return;
        }
        if (picked == null) {
            if (pick.attempt() == 0) {
                frontend.stats().rejectedNoServer();
                localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no server is available", false);
            } else {
                localReply(HttpResponseStatus.BAD_GATEWAY, "the server failed and no other server is left to try", false);
            }
            return;
        }
        tryOn(picked);
    }

    /**
     * Every server is at its {@code max_connections}: waits in the backend's queue when it has one (true: waiting, or
     * refused with 503 as the queue is full), else false (refused as without a queue).
     */
    private boolean waitInQueue(Backend backend) {
        BackendQueue q = backend.queue();
        BackendQueue.Ticket t = q == null ? null
                : q.enqueue(connection.pool().queueLoop(), pick, s -> dequeued(s, q));
        if (t == null) {
            return false;
        }
        if (t.refused()) {
            frontend.stats().rejectedNoServer();
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "every server is full and so is the queue", false,
                    q.retryAfterSeconds());
        } else {
            queued = t;
        }
        return true;
    }

    /** The queue {@code q} let the request go: to {@code s}, or (null) it waited for the whole queue timeout. */
    private void dequeued(Server s, BackendQueue q) {
        queued = null;
        if (s != null) {
            tryOn(s);
            return;
        }
        frontend.stats().rejectedNoServer();
        localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no server had room within the queue timeout", false,
                q.retryAfterSeconds());
    }

    /** Starts an attempt on {@code picked}: a pooled connection (or HTTP/2 stream) if there is one, else a new one. */
    private void tryOn(Server picked) {
        phase = Phase.CONNECTING;
        server = picked;
        attempt = new Attempt(this, picked);
        if (attempt.acquirePooled(connection.pool())) {
            connectNanos = 0;
            startForwarding();
            return;
        }
        connectFresh();
    }

    private void connectFresh() {
        connectStartNanos = connection.now();
        attempt.connectFresh(connection.pool(), frontend.connectTimeoutMillis(route.backend()));
    }

    /** Whether another server may still be tried. */
    boolean triesLeft() {
        return pick.attempt() < route.backend().config().retries();
    }

    /** The attempt's fresh connection is up. */
    void attemptConnected(Attempt a) {
        long now = connection.now();
        connection.touch(now);
        connectNanos = now - connectStartNanos;
        startForwarding();
    }

    /** The attempt's connect failed on the server's side (already recorded by the attempt). */
    void connectFailed(Attempt a, String why, boolean triesLeft) {
        Server s = a.server();
        if (triesLeft) {
            log.debug("{}: [{}] connect to {} failed: {}; trying another server", frontend.name(), requestId,
                    s.name(), why);
            retry(s);
        } else {
            log.warn("{}: [{}] connect to {} ({}) failed: {}", frontend.name(), requestId, s.name(), s.address(), why);
            localReply(HttpResponseStatus.BAD_GATEWAY, "could not connect to the server", false);
        }
    }

    /** This machine could not open a connection (a limit of its own): 503, nobody's failure, no retry. */
    void cannotConnect(Attempt a, String why) {
        frontend.stats().localFailure();
        frontend.stats().rejectedNoServer();
        frontend.localFailures().warn("{}: [{}] cannot open a connection to {}: {} (a limit of this machine, "
                + "not a failure of the server); answering 503", frontend.name(), requestId, a.server().name(), why);
        localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "Ferry cannot open a connection to a server now", false);
    }

    private void retry(Server failed) {
        frontend.stats().retried();
        pick = pick.retryAvoiding(failed);
        assignServer();
    }

    private void startForwarding() {
        phase = Phase.FORWARDING;
        if (actionValues != null) {
            route.actions().toServer(request, actionValues, actionValues.attempt(server.name()));
        }
        attempt.sendHead(request);
        if (requestDone) {
            // A retry of a request without a body: the end of the message was consumed by the first attempt.
            attempt.sendData(LastHttpContent.EMPTY_LAST_CONTENT);
            markRequestSent();
        }
        wroteUpstream = true;
        downstream.resumeReading();
        flushUpstream();
        attempt.read();
    }

    private void markRequestSent() {
        if (!responseStarted) {
            // Sending happens within the event that brought the request's end (or the server connection's success).
            long now = connection.lastActivity();
            requestSentAt = now;
            connection.ensureTimer(now + route.backend().config().timeouts().response().toNanos());
        }
    }

    // ---- the response ----

    /** A decoded response part from the current attempt's server. */
    void responsePart(Attempt a, Object msg) {
        if (msg instanceof ResponseHeaders response) {
            connection.touch(connection.now());
            onResponseHead(a, response);
        } else if (msg instanceof HttpContent content) {
            if (!(content instanceof LastHttpContent)) {
                connection.touch(connection.now());
            }
            onResponseContent(a, content);
        } else if (msg instanceof DecodeFailure failure) {
            log.warn("{}: [{}] invalid response from {}: {}", frontend.name(), requestId, a.server().name(),
                    failure.detail());
            if (!responseStarted) {
                status = HttpResponseStatus.BAD_GATEWAY.code();
            }
            logAccess(Termination.SERVER_BROKEN);
            a.failed();
            abandonAttempt();
            if (responseStarted) {
                downstream.reset();
            } else {
                localReply(HttpResponseStatus.BAD_GATEWAY, "the server sent an invalid response", false);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(Attempt a, ResponseHeaders response) {
        int code = response.code();
        if (code == 101) {
            if (upgrade) {
                // The empty end of the 101 follows; the relay takes over after it.
                upgrading = true;
                frontend.forwarding().response(response, true);
                downstream.sendSwitchingProtocols(response);
            } else {
                a.failed();
                abandonAttempt();
                localReply(HttpResponseStatus.BAD_GATEWAY, "the server switched protocols without being asked",
                        false);
            }
            return;
        }
        if (code < 200) {
            // 1xx (100 Continue, 103 Early Hints): passed on as they come; the final response follows.
            informational = true;
            frontend.forwarding().response(response, false);
            downstream.sendInformational(response);
            return;
        }
        responseStarted = true;
        status = code;
        // Passive health at layer 7: a 5xx counts against the server, anything else for it; the time to the
        // response head is the latency ewma compares.
        a.responded(code, requestSentAt != 0 ? connection.lastActivity() - requestSentAt : -1);
        if (sticky != null) {
            sticky.response(a.server(), response);
        }
        frontend.forwarding().response(response, false);
        if (actionValues != null) {
            route.actions().toClient(response, actionValues);
        }
        // The client connection ends after this response when the client asked so, or when the server answered
        // before the whole request body arrived (the rest of it would be read as a request).
        closeAfter = downstream.sendHead(response, requestDone && !connection.draining());
        if (log.isDebugEnabled()) {
            log.debug("{}: [{}] {} {} -> {}/{} {}", frontend.name(), requestId, request.method(), request.uri(),
                    route.backend().name(), a.server().name(), code);
        }
    }

    private void onResponseContent(Attempt a, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (upgrading || informational) {
            // The (empty) end of a 101 or another 1xx.
            ReferenceCountUtil.release(content);
            if (last && upgrading) {
                switchToTunnel(a);
            } else if (last) {
                informational = false;
            }
            return;
        }
        int bytes = content.content().readableBytes();
        responseBytes += bytes;
        a.server().addBytesIn(bytes);
        if (last) {
            downstream.sendTrailers((LastHttpContent) content);
            responseDone(a);
        } else {
            downstream.sendData(content);
        }
    }

    private void responseDone(Attempt a) {
        logAccess(Termination.OK);
        phase = Phase.ENDED;
        a.finish(requestDone);
        downstream.end(closeAfter);
    }

    /** The end of one socket read from a server: flush what was passed on and read more while the client takes it. */
    void responseReadComplete(Attempt a, boolean current) {
        downstream.flush();
        if (current && a == attempt && downstream.isWritable()) {
            a.read();
        }
    }

    /** The current attempt's server connection can take more of the request. */
    void upstreamWritable() {
        // Body parts waiting in the connection are handed over first, then flushed, then more is read.
        downstream.resumeReading();
        flushUpstream();
    }

    /** The current attempt's server connection closed while the exchange was forwarding. */
    void upstreamClosed(Attempt a, int reuses) {
        Server s = a.server();
        if (responseStarted) {
            log.warn("{}: [{}] {} closed the connection in the middle of the response", frontend.name(), requestId,
                    s.name());
            logAccess(Termination.SERVER_CLOSED);
            a.failed();
            phase = Phase.ENDED;
            downstream.endAbruptly();
            return;
        }
        boolean replayable = isIdempotent(request.method()) && bodyBytes == 0 && !informational;
        switch (a.closedBeforeResponse(reuses, replayable, resentFresh, triesLeft())) {
            case RESEND_FRESH -> {
                resentFresh = true;
                frontend.stats().retried();
                log.debug("{}: [{}] the pooled connection to {} closed before responding (reused {} times); "
                        + "resending on a fresh connection", frontend.name(), requestId, s.name(), reuses);
                phase = Phase.CONNECTING;
                attempt = new Attempt(this, s);
                connectFresh();
            }
            case RETRY_ELSEWHERE -> {
                log.debug("{}: [{}] {} closed the connection before responding (reused {} times); retrying "
                        + "elsewhere", frontend.name(), requestId, s.name(), reuses);
                retry(s);
            }
            case GIVE_UP -> {
                log.warn("{}: [{}] {} closed the connection before responding", frontend.name(), requestId,
                        s.name());
                localReply(HttpResponseStatus.BAD_GATEWAY, "the server closed the connection before responding", false);
            }
        }
    }

    /**
     * The server did not process the request (an HTTP/2 stream refused, or above a GOAWAY's last stream id): sent
     * again whatever the method, as long as no body byte was given away; to another server while tries are left and
     * one is available, else to the same one (on a connection with room: a GOAWAY's connection takes no more).
     * Nobody's failure; at most once to the same server.
     */
    void upstreamRefused(Attempt a) {
        Server s = a.server();
        if (bodyBytes > 0 || informational) {
            log.warn("{}: [{}] {} refused the request after its body started; it cannot be sent again",
                    frontend.name(), requestId, s.name());
            localReply(HttpResponseStatus.BAD_GATEWAY, "the server refused the request", false);
            return;
        }
        frontend.stats().retried();
        boolean sameAgain = !resentFresh;
        resentFresh = true;
        if (triesLeft()) {
            log.debug("{}: [{}] {} refused the stream; sending it again", frontend.name(), requestId, s.name());
            pick = pick.retryAvoiding(s);
            assignServer(sameAgain ? s : null);
        } else if (sameAgain) {
            log.debug("{}: [{}] {} refused the stream; sending it to the same server once more", frontend.name(),
                    requestId, s.name());
            tryOn(s);
        } else {
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "the server refused the request", false);
        }
    }

    /** The server's HTTP/2 connections all carry as many streams as they may: another server, or 503. */
    void serverFull(Attempt a) {
        Server s = a.server();
        if (triesLeft()) {
            log.debug("{}: [{}] the HTTP/2 connections to {} are full; trying another server", frontend.name(),
                    requestId, s.name());
            retry(s);
            return;
        }
        frontend.stats().rejectedNoServer();
        log.debug("{}: [{}] the HTTP/2 connections to {} are full", frontend.name(), requestId, s.name());
        localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "the server's connections are full", false);
    }

    private static boolean isIdempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    /** Abandons the current server connection (it may be inside a message): closed, never pooled. */
    private void abandonAttempt() {
        if (queued != null) {
            queued.cancel(); // still waiting for a server: leaves the queue, takes no slot
            queued = null;
        }
        Attempt a = attempt;
        if (a != null) {
            a.abandon();
        }
    }

    // ---- upgrades ----

    private void switchToTunnel(Attempt a) {
        status = 101;
        logAccess(Termination.UPGRADED);
        phase = Phase.ENDED;
        UpstreamStream s = a.detach();
        long idle = Math.min(frontend.clientIdleNanos(), route.backend().config().timeouts().serverIdle().toNanos());
        downstream.switchToTunnel(s, idle);
        log.debug("{}: [{}] upgraded; relaying bytes to {}", frontend.name(), requestId, s.server().name());
    }

    // ---- timeouts ----

    /**
     * The response did not start in time: 504 (to gRPC DEADLINE_EXCEEDED), and the server's failure unless it was the
     * request's own gRPC deadline that ran out first (the server was still within the backend's timeout).
     */
    void responseTimedOut() {
        Attempt a = attempt;
        Server s = a != null && a.holdsStream() ? a.server() : null;
        long backendDue = backendDue();
        if (grpc != null && grpc.hasDeadline()
                && (phase == Phase.CONNECTING || grpc.earliest(startNanos, backendDue) != backendDue)) {
            log.debug("{}: [{}] the gRPC deadline (grpc-timeout {}) passed before {} responded", frontend.name(),
                    requestId, grpc.timeoutText(), s == null ? "the server" : s.name());
            localReply(HttpResponseStatus.GATEWAY_TIMEOUT, "the deadline of the request (grpc-timeout "
                    + grpc.timeoutText() + ") passed before the server responded", false);
            return;
        }
        log.warn("{}: [{}] {} did not respond within {} ms", frontend.name(), requestId,
                s == null ? "the server" : s.name(), route.backend().config().timeouts().response().toMillis());
        if (s != null) {
            a.failed();
        }
        localReply(HttpResponseStatus.GATEWAY_TIMEOUT, "the server did not respond in time", false);
    }

    /** Nothing moved for the idle timeout: the connection is closing. */
    void idleTimedOut() {
        logAccess(Termination.IDLE_TIMEOUT);
        phase = Phase.ENDED;
        abandonAttempt();
    }

    // ---- Ferry's own responses ----

    /** The request's admission refused it: 403, or the rate limit's status with Retry-After. */
    private void refuse() {
        localReply(HttpResponseStatus.valueOf(pass.status()), pass.detail(), false, pass.retryAfterSeconds());
    }

    /**
     * Answers the request with Ferry's own response: the one way every local reply leaves (no route, no server, a
     * failed or slow server, bad input, a timeout, a fault of Ferry's). The server connection, if any, goes; the
     * request's record says how it ended ({@link Termination#ofLocalReply}).
     *
     * <p>The connection is kept when that is safe: the client keeps it, nothing of a declared body is left unread,
     * the frontend is not draining, and {@code close} was not asked. A kept connection first reads (and drops) what
     * is left of an empty body, then answers. A closed one lingers for the client's bytes ({@link LingeringClose})
     * unless the client was too slow to send a head (408).
     *
     * @param close whether the connection is past saving (bad input, a timeout, a fault of Ferry's)
     */
    void localReply(HttpResponseStatus status, String detail, boolean close) {
        reply(status, detail, close, 0, null, null);
    }

    /** As above, with {@code Retry-After: retryAfterSeconds} when above 0. */
    private void localReply(HttpResponseStatus status, String detail, boolean close, long retryAfterSeconds) {
        reply(status, detail, close, retryAfterSeconds, null, null);
    }

    /** The route answers itself ({@code redirect:}, {@code return:}): a reply of Ferry's own, as the route says. */
    private void answerByRoute(RouteActionPlan actions) {
        RouteAnswer answer = actions.answer();
        RouteAnswer.Response own = answer.respond(actionValues, isHeadRequest());
        actions.toClient(own.head(), actionValues);
        reply(HttpResponseStatus.valueOf(own.code()), "answered by the route", false, 0, own, answer.termination());
    }

    /** {@link #localReply}, or with {@code own} (not null) the route's own answer and its termination. */
    private void reply(HttpResponseStatus status, String detail, boolean close, long retryAfterSeconds,
                       RouteAnswer.Response own, Termination ownTermination) {
        localRetryAfter = retryAfterSeconds;
        abandonAttempt();
        boolean bodyPending = bodyMayFollow();
        boolean closes = close || !downstream.clientKeepsConnection() || bodyPending || connection.draining();
        if (status.code() >= 500 && !close) {
            log.debug("{}: [{}] {} {}", frontend.name(), requestId, status.code(), detail);
        }
        this.status = status.code();
        if (own != null) {
            frontend.routeAnswers().answered(ownTermination);
            responseBytes = own.body().length;
        }
        logAccess(own != null ? ownTermination : Termination.ofLocalReply(status.code()));
        if (closes) {
            phase = Phase.ENDED;
            if (own != null) {
                sendOwnAnswer(own, true);
            } else {
                downstream.sendLocalReply(status, detail, true, status != HttpResponseStatus.REQUEST_TIMEOUT,
                        requestId, isHeadRequest(), grpc != null, localRetryAfter);
            }
            requestDone = true;
        } else if (requestDone) {
            localStatus = status;
            localDetail = detail;
            localAnswer = own;
            sendDeferredReply();
        } else {
            localStatus = status;
            localDetail = detail;
            localAnswer = own;
            phase = Phase.DISCARD;
            downstream.resumeReading();
        }
    }

    /** The request's (empty) body has been read: the local reply waiting for it goes, the connection stays. */
    private void sendDeferredReply() {
        phase = Phase.ENDED;
        if (localAnswer != null) {
            sendOwnAnswer(localAnswer, false);
            return;
        }
        downstream.sendLocalReply(localStatus, localDetail, false, true, requestId, isHeadRequest(), grpc != null,
                localRetryAfter);
        downstream.end(false);
    }

    /** Sends a route's own answer through the response verbs (framed as any response), then ends the exchange. */
    private void sendOwnAnswer(RouteAnswer.Response own, boolean close) {
        responseStarted = true;
        boolean closes = downstream.sendHead(own.head(), !close && !connection.draining());
        downstream.sendTrailers(new DefaultLastHttpContent(Unpooled.wrappedBuffer(own.body())));
        downstream.end(close || closes);
    }

    // ---- access log ----

    /** Reports the request once: to the request metrics, and to the access log when that is on. */
    void logAccess(Termination termination) {
        if (logged) {
            return;
        }
        logged = true;
        long now = connection.now();
        if (pass != null) {
            pass.release(now);
        }
        long durationNanos = now - startNanos;
        if (request != null) {
            frontend.requestEnded(route, server, status, durationNanos);
        }
        if (!frontend.accessLog().enabled()) {
            return;
        }
        RequestHeaders r = request;
        Server s = server;
        Route rt = route;
        frontend.accessLog().log(new AccessRecord(
                System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(durationNanos),
                Addresses.format(source()), frontend.name(), rt == null ? "-" : rt.backendName(),
                s == null ? "-" : s.name(), status, r == null ? "-" : r.method().name() + " " + r.uri(), bodyBytes,
                responseBytes, connectNanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(connectNanos),
                TimeUnit.NANOSECONDS.toMillis(durationNanos), termination, requestId == null ? "-" : requestId));
    }
}
