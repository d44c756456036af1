package dev.ferry.proxy.tcp;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.HostPort;
import dev.ferry.logging.RateLimitedLog;
import dev.ferry.proxy.ConnectionLimiter;
import dev.ferry.proxy.admission.AdmissionStats;
import dev.ferry.proxy.admission.ConnectionGate;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.FrontendListener;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.transport.ProxyHeaderPrefix;
import dev.ferry.transport.TlsTerminator;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@code mode: tcp} frontend: one listening socket whose connections are proxied to one backend.
 *
 * <p>Limits: at most {@code max_connections} client connections are open at once ({@link ConnectionLimiter}). Per
 * connection, Ferry buffers at most one read (up to 64 KiB) plus the
 * peer's write-buffer high-water mark in each direction.
 *
 * <p>Threading: {@link #start()} blocks (call off the event loops); everything per connection runs on the event
 * loop the client connection was assigned to, which is also the server connection's loop.
 */
public final class TcpFrontend implements Frontend {
    /** Pause reading a side once this much is queued towards its peer; resume below the low mark. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    /**
     * What a connection needs from its frontend, fixed when the connection is accepted: a reload publishes new
     * settings for new connections while live ones keep theirs.
     */
    record Settings(FrontendConfig config, Backend backend, long idleTimeoutNanos, Bootstrap serverBootstrap,
                    AccessLog accessLog) {
        static Settings of(FrontendConfig config, Backend backend, Transport transport, AccessLog accessLog) {
            BackendConfig bc = backend.config();
            long idle = Math.min(config.timeouts().clientIdle().toNanos(), bc.timeouts().serverIdle().toNanos());
            // The channel type is chosen per server address (TcpProxyConnection).
            Bootstrap bootstrap = new Bootstrap()
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                            (int) Math.min(Integer.MAX_VALUE, bc.timeouts().connect().toMillis()));
            return new Settings(config, backend, idle, bootstrap, accessLog);
        }

        /** A bootstrap for a server connection on {@code loop}, the loop of the client connection it serves. */
        Bootstrap serverBootstrap(EventLoop loop) {
            return serverBootstrap.clone(loop);
        }
    }

    private final String name;
    private final Transport transport;
    private final AccessLog accessLog;
    private final FrontendStats stats = new FrontendStats();
    /** "reset client" lines: a cause that hits every connection (no server up, no descriptors left) logs once per 10 s. */
    private final RateLimitedLog refusals = new RateLimitedLog(LoggerFactory.getLogger(TcpProxyConnection.class),
            Duration.ofSeconds(10));
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Optional<TlsTerminator> tls;
    private volatile Settings settings;
    private volatile ConnectionLimiter limiter;
    private final AdmissionStats admission = new AdmissionStats();
    /** allow/deny and per-key connection limits, at accept. */
    private final ConnectionGate gate = new ConnectionGate(true, admission, System::nanoTime);
    private volatile Channel listener;

    public TcpFrontend(FrontendConfig config, Backend backend, Transport transport, AccessLog accessLog) {
        this(config, backend, transport, accessLog, Optional.empty());
    }

    /** @param tls terminates TLS on client connections when present (the relay then sees plaintext) */
    public TcpFrontend(FrontendConfig config, Backend backend, Transport transport, AccessLog accessLog,
                       Optional<TlsTerminator> tls) {
        this.name = config.name();
        this.tls = tls;
        this.transport = transport;
        this.accessLog = accessLog;
        this.settings = Settings.of(config, backend, transport, accessLog);
        gate.reconfigure(config);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public FrontendConfig config() {
        return settings.config();
    }

    /** The backend new connections go to. */
    public Backend backend() {
        return settings.backend();
    }

    Transport transport() {
        return transport;
    }

    RateLimitedLog refusals() {
        return refusals;
    }

    @Override
    public boolean canReconfigure(FrontendConfig next) {
        FrontendConfig now = settings.config();
        return next.name().equals(name) && now.keepsListenerSettings(next) && listensOn(next.listen());
    }

    @Override
    public boolean listensOn(HostPort address) {
        Channel l = listener;
        return settings.config().listensOn(address, l == null ? 0 : ((InetSocketAddress) l.localAddress()).getPort());
    }

    @Override
    public void reconfigure(FrontendConfig next, Map<String, Backend> backends) {
        settings = Settings.of(next, backends.get(next.backend().orElseThrow()), transport, accessLog);
        gate.reconfigure(next);
        ConnectionLimiter l = limiter;
        if (l != null) {
            l.setMax(next.maxConnections());
        }
    }

    @Override
    public FrontendStats stats() {
        return stats;
    }

    @Override
    public AdmissionStats admissionStats() {
        return admission;
    }

    @Override
    public InetSocketAddress start() throws BindException {
        limiter = new ConnectionLimiter(settings.config().maxConnections(), stats);
        listener = FrontendListener.bind(transport, settings.config(), gate, limiter, true, false, WATER_MARK,
                this::accept);
        return (InetSocketAddress) listener.localAddress();
    }

    /** Called on the new connection's event loop once {@link ConnectionLimiter} admitted it. */
    private void accept(Channel client) {
        Settings now = settings;
        clients.add(client);
        now.backend().config().tcpKeepalive().ifPresent(k -> transport.applyKeepalive(client, k));
        if (now.config().proxyProtocol()) {
            client.pipeline().addLast(new ProxyHeaderPrefix(), new HAProxyMessageDecoder());
        }
        tls.ifPresent(t -> client.pipeline().addLast("tls", t.newHandler(client.alloc())));
        client.pipeline().addLast(new TcpProxyConnection(this, now, client).clientHandler());
    }

    @Override
    public void stopAccepting() {
        Channel l = listener;
        if (l != null) {
            l.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void closeAll() {
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
