package dev.ferry.proxy.http;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.health.EventLoopTimeline;
import dev.ferry.health.Timeline;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.HostPort;
import dev.ferry.config.HttpOptions;
import dev.ferry.config.LingeringOptions;
import dev.ferry.logging.RateLimitedLog;
import dev.ferry.proxy.ConnectionLimiter;
import dev.ferry.proxy.admission.AccessPolicy;
import dev.ferry.proxy.admission.AdmissionStats;
import dev.ferry.proxy.admission.ConnectionGate;
import dev.ferry.proxy.admission.HttpAdmission;
import dev.ferry.proxy.ClientByteCounter;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.FrontendListener;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.proxy.RequestDurations;
import dev.ferry.transport.TlsTerminator;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import dev.ferry.transport.ProxyHeaderPrefix;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.concurrent.TimeUnit;

/**
 * A {@code mode: http} frontend: an HTTP/1.1 and HTTP/2 ({@code http.protocols}; {@link Http2Detector}) reverse proxy that routes each request to a backend
 * ({@link Router}) and forwards it over pooled keep-alive connections ({@link UpstreamPool}, one pool per event
 * loop), optionally terminating TLS first.
 *
 * <p>Limits: at most {@code max_connections} client connections ({@link ConnectionLimiter}); request lines longer
 * than {@code http.max_request_line} get 414, header sections larger than {@code http.max_header_size} or with more
 * fields than {@code http.max_header_count} get 431. Per
 * connection and direction Ferry holds at most one socket read plus the peer's write-buffer high-water mark.
 *
 * <p>Threading: {@link #start()} blocks (call off the event loops); a client connection and its server connections
 * live on one event loop.
 */
public final class HttpFrontend implements Frontend {
    /** Idle keep-alive connections kept per server and event loop (nginx's upstream keepalive). */
    static final int MAX_IDLE_PER_SERVER = 64;
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private volatile FrontendConfig config;
    private final Transport transport;
    private volatile Router router;
    private volatile ForwardingHeaders forwarding;
    private final Optional<TlsTerminator> tls;
    private final AccessLog accessLog;
    private final FrontendStats stats = new FrontendStats();
    private final LingeringStats lingeringStats = new LingeringStats();
    private final ClientByteCounter byteCounter = new ClientByteCounter(stats);
    /** "cannot open a connection" lines: a limit of this machine hits every request, so they go out once per 10 s. */
    private final RateLimitedLog localFailures = new RateLimitedLog(
            LoggerFactory.getLogger(HttpProxyConnection.class), java.time.Duration.ofSeconds(10));
    private final RequestDurations requestDurations = new RequestDurations();
    private final RequestsByProtocol requestsByProtocol = new RequestsByProtocol();
    private final RouteAnswers routeAnswers = new RouteAnswers();
    private final Http2Gauges http2Gauges = new Http2Gauges();
    private final Http2Stats http2Stats = new Http2Stats();
    private final Http2FrameCounter http2Frames = new Http2FrameCounter(http2Stats);
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Map<EventExecutor, UpstreamPool> pools = new IdentityHashMap<>();
    /** Each event loop's clock and timer for the proxy path (the request-head, response and idle timeouts). */
    private final Map<EventExecutor, Timeline> timelines = new IdentityHashMap<>();
    private volatile long requestHeaderNanos;
    private volatile long clientIdleNanos;
    private volatile int maxRequestLine;
    private volatile int maxHeaderSize;
    private volatile int maxHeaderCount;
    private volatile Channel listener;
    private volatile ConnectionLimiter limiter;
    private final AdmissionStats admissionStats = new AdmissionStats();
    /** allow/deny and request limits per request (403, 429); connection limits at accept ({@link #gate}). */
    private volatile HttpAdmission admission;
    private final ConnectionGate gate = new ConnectionGate(false, admissionStats, this::admissionClock);
    private volatile int port;

    /**
     * @param backends every backend by name; the routes' backends must be among them
     * @param tls      the TLS terminator when the frontend has {@code tls:}
     */
    public HttpFrontend(FrontendConfig config, Map<String, Backend> backends, Transport transport,
                        Optional<TlsTerminator> tls) {
        this(config, backends, transport, AccessLog.NONE, tls);
    }

    /** @param accessLog where every finished request is reported (one record per request) */
    public HttpFrontend(FrontendConfig config, Map<String, Backend> backends, Transport transport,
                        AccessLog accessLog, Optional<TlsTerminator> tls) {
        this(config, backends, transport, accessLog, tls, EventLoopTimeline::new);
    }

    /**
     * @param timelines the clock and timer of each event loop: {@link EventLoopTimeline} in production, a
     *                  hand-driven one in tests (whose tasks must still run on the given loop)
     */
    HttpFrontend(FrontendConfig config, Map<String, Backend> backends, Transport transport, AccessLog accessLog,
                 Optional<TlsTerminator> tls, Function<EventLoop, Timeline> timelines) {
        this.accessLog = accessLog;
        this.config = config;
        this.transport = transport;
        HttpOptions http = http(config);
        this.router = Router.of(config, backends);
        this.admission = HttpAdmission.of(config, admissionStats, null);
        gate.reconfigure(AccessPolicy.ALL, admission.frontendLimiter());
        this.forwarding = new ForwardingHeaders(tls.isPresent(), http.forwardingHeaders(),
                ClientCertHeaders.of(config.tls()));
        this.tls = tls;
        this.requestHeaderNanos = config.timeouts().requestHeader().toNanos();
        this.clientIdleNanos = config.timeouts().clientIdle().toNanos();
        this.maxRequestLine = http.maxRequestLine();
        this.maxHeaderSize = http.maxHeaderSize();
        this.maxHeaderCount = http.maxHeaderCount();
        // The channel type is chosen per server address (UpstreamPool.connect).
        Bootstrap upstream = new Bootstrap()
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
        for (EventExecutor e : transport.workers()) {
            EventLoop loop = (EventLoop) e;
            Timeline timeline = timelines.apply(loop);
            this.timelines.put(loop, timeline);
            pools.put(loop, new UpstreamPool(loop, timeline, transport, upstream, MAX_IDLE_PER_SERVER, stats));
        }
    }

    /** The {@code http:} options of an http frontend's configuration (the only kind this frontend is given). */
    private static HttpOptions http(FrontendConfig config) {
        if (config.options() instanceof HttpOptions http) {
            return http;
        }
        throw new IllegalArgumentException("frontend '" + config.name() + "' is a " + config.mode().key()
                + " frontend, not http");
    }

    @Override
    public String name() {
        return config.name();
    }

    public FrontendConfig config() {
        return config;
    }

    @Override
    public boolean canReconfigure(FrontendConfig next) {
        return next.name().equals(config.name()) && config.keepsListenerSettings(next) && listensOn(next.listen());
    }

    @Override
    public boolean listensOn(HostPort address) {
        return config.listensOn(address, port);
    }

    /**
     * New routes, backends, timeouts, limits and forwarding headers apply to the next requests; requests in flight
     * finish as they began. New lingering options apply to connections accepted from now on.
     */
    @Override
    public void reconfigure(FrontendConfig next, Map<String, Backend> backends) {
        HttpOptions http = http(next);
        this.router = Router.of(next, backends);
        this.admission = HttpAdmission.of(next, admissionStats, admission);
        gate.reconfigure(AccessPolicy.ALL, admission.frontendLimiter());
        this.requestHeaderNanos = next.timeouts().requestHeader().toNanos();
        this.clientIdleNanos = next.timeouts().clientIdle().toNanos();
        this.maxRequestLine = http.maxRequestLine();
        this.maxHeaderSize = http.maxHeaderSize();
        this.maxHeaderCount = http.maxHeaderCount();
        this.forwarding = new ForwardingHeaders(tls.isPresent(), http.forwardingHeaders(),
                ClientCertHeaders.of(next.tls()));
        ConnectionLimiter l = limiter;
        if (l != null) {
            l.setMax(next.maxConnections());
        }
        this.config = next;
    }

    @Override
    public FrontendStats stats() {
        return stats;
    }

    @Override
    public AdmissionStats admissionStats() {
        return admissionStats;
    }

    /** The connection gate's clock: the event loops' (one time for all), as the requests' limits read it. */
    private long admissionClock() {
        return timelines.values().iterator().next().nanoTime();
    }

    /** The access rules and request limits in force for new requests. */
    HttpAdmission admission() {
        return admission;
    }

    /** How this frontend's lingering closes ended ({@code http.lingering_close}). */
    public LingeringStats lingeringStats() {
        return lingeringStats;
    }

    /** The lingering options a new connection takes (those of the configuration in force when it was accepted). */
    LingeringOptions lingering() {
        return http(config).lingering();
    }

    /** The log for local resource failures ({@code dev.ferry.transport.LocalFailures}) of this frontend. */
    RateLimitedLog localFailures() {
        return localFailures;
    }

    /** How long this frontend's requests took, by backend. */
    public RequestDurations requestDurations() {
        return requestDurations;
    }

    /**
     * Counts a request that ended (once per request, on its connection's event loop): its duration by backend (when
     * it was routed), its status class on the server of its last attempt (when one was chosen).
     */
    void requestEnded(Route route, dev.ferry.backend.Server server, int status, long nanos) {
        if (route != null) {
            requestDurations.record(route.backendName(), nanos);
        }
        if (server != null) {
            server.requests().record(status, nanos);
        }
    }

    /** Counts a request by the protocol it came in (called once per request head, on its event loop). */
    void requestArrived(RequestHeaders head) {
        requestsByProtocol.arrived(head.protocolVersion());
    }

    /** This frontend's requests that its routes answered themselves ({@code redirect:}, {@code return:}). */
    public RouteAnswers routeAnswers() {
        return routeAnswers;
    }

    /** This frontend's requests by the protocol their clients spoke. */
    public RequestsByProtocol requestsByProtocol() {
        return requestsByProtocol;
    }

    /** This frontend's HTTP/2 client connections and streams open now. */
    public Http2Gauges http2Gauges() {
        return http2Gauges;
    }

    /** This frontend's HTTP/2 GOAWAY, RST_STREAM and protocol-violation counts. */
    public Http2Stats http2Stats() {
        return http2Stats;
    }

    /** Counts the frames of this frontend's HTTP/2 connections (one for all of them). */
    Http2FrameCounter http2Frames() {
        return http2Frames;
    }

    /** The {@code http:} options a new connection takes (those in force now). */
    HttpOptions httpOptions() {
        return http(config);
    }

    /** The {@code max_connection_age} a new connection takes. */
    dev.ferry.config.ConnectionAge connectionAge() {
        return config.connectionAge();
    }

    AccessLog accessLog() {
        return accessLog;
    }

    Router router() {
        return router;
    }

    ForwardingHeaders forwarding() {
        return forwarding;
    }

    Transport transport() {
        return transport;
    }

    UpstreamPool pool(EventLoop loop) {
        return pools.get(loop);
    }

    /** The clock and timer of {@code loop} for the connections on it. */
    Timeline timeline(EventLoop loop) {
        return timelines.get(loop);
    }

    long requestHeaderNanos() {
        return requestHeaderNanos;
    }

    long clientIdleNanos() {
        return clientIdleNanos;
    }



    int connectTimeoutMillis(Backend backend) {
        return (int) Math.min(Integer.MAX_VALUE, backend.config().timeouts().connect().toMillis());
    }

    /**
     * What schedulers that place by destination (lblc, lblcr, dh) see as the destination at layer 7: the request's
     * host as an unresolved address (port: this frontend's), so requests for one site stay on one cache server;
     * null for other schedulers (saves the allocation) and for requests without a host.
     */
    InetSocketAddress destinationFor(Route route, RequestTarget target) {
        if (route.backend() == null || !route.backend().placesByDestination() || target.host().isEmpty()) {
            return null;
        }
        return InetSocketAddress.createUnresolved(target.host().toLowerCase(Locale.ROOT), port);
    }

    /** Idle pooled server connections over all event loops; for tests (reads each loop's pool on that loop). */
    public int idleUpstreamConnections() {
        int n = 0;
        for (UpstreamPool p : pools.values()) {
            n += p.loop().submit(p::idleCount).syncUninterruptibly().getNow();
        }
        return n;
    }

    /** Counts a client's bytes once its connection has become a tunnel (the decoder counts them until then). */
    ClientByteCounter byteCounter() {
        return byteCounter;
    }

    @Override
    public InetSocketAddress start() throws BindException {
        limiter = new ConnectionLimiter(config.maxConnections(), stats);
        listener = FrontendListener.bind(transport, config, gate, limiter, false, http(config).deferAccept(),
                WATER_MARK, this::accept);
        InetSocketAddress local = (InetSocketAddress) listener.localAddress();
        port = local.getPort();
        return local;
    }

    /** Called on the new connection's event loop once {@link ConnectionLimiter} admitted it. */
    private void accept(Channel client) {
        clients.add(client);
        HttpProxyConnection connection = new HttpProxyConnection(this, client);
        if (config.proxyProtocol()) {
            client.pipeline().addLast("proxy-prefix", new ProxyHeaderPrefix())
                    .addLast("proxy-protocol", new HAProxyMessageDecoder());
        }
        tls.ifPresent(t -> client.pipeline().addLast("tls", t.newHandler(client.alloc())));
        HttpOptions http = http(config);
        if (http.speaksHttp2() || !http.speaksHttp1()) {
            client.pipeline().addLast("h2-detect", new Http2Detector(this, http.speaksHttp1(), http));
        }
        client.pipeline()
                .addLast("http", new RequestDecoder(maxRequestLine, maxHeaderSize, maxHeaderCount, connection))
                .addLast("proxy", connection);
    }

    /**
     * Stops accepting and starts draining, as HAProxy and nginx do on a graceful stop: idle keep-alive connections
     * close now, busy ones after their current response (which says {@code Connection: close}).
     */
    @Override
    public void stopAccepting() {
        Channel l = listener;
        if (l != null) {
            l.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        // One task per event loop drains all of its connections at once, so none of them can still take a response
        // as "keep-alive" after another on the same loop was already told.
        Map<EventLoop, List<Drainable>> byLoop = new IdentityHashMap<>();
        for (Channel client : clients) {
            Drainable c = client.pipeline().get(Drainable.class);
            if (c != null) {
                byLoop.computeIfAbsent(client.eventLoop(), loop -> new ArrayList<>()).add(c);
            }
        }
        byLoop.forEach((loop, connections) -> loop.execute(() -> connections.forEach(Drainable::drain)));
    }

    @Override
    public void closeAll() {
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (UpstreamPool p : pools.values()) {
            if (!p.loop().isShuttingDown()) {
                p.loop().submit(p::closeAll).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }
}
