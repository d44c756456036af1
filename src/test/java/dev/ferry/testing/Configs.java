package dev.ferry.testing;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.BackendTimeouts;
import dev.ferry.config.FeedbackConfig;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.config.OutlierConfig;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.FrontendTimeouts;
import dev.ferry.config.HostPort;
import dev.ferry.config.KeepaliveConfig;
import dev.ferry.config.ModeOptions;
import dev.ferry.config.ProxyProtocolVersion;
import dev.ferry.config.SchedulerConfig;
import dev.ferry.config.ServerConfig;
import dev.ferry.config.TcpOptions;
import dev.ferry.config.UdpOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds configurations in code for integration tests (a TCP frontend on 127.0.0.1:0 over one backend). */
public final class Configs {
    private String scheduler = "rr";
    private java.util.Map<String, String> schedulerOptions = java.util.Map.of();
    private final List<ServerConfig> servers = new ArrayList<>();
    private int frontendMax = FrontendConfig.DEFAULT_MAX_CONNECTIONS;
    private int retries = BackendConfig.DEFAULT_RETRIES;
    private Duration clientIdle = FrontendTimeouts.DEFAULTS.clientIdle();
    private Duration connectTimeout = BackendTimeouts.DEFAULTS.connect();
    private Duration grace = FerryConfig.DEFAULT_SHUTDOWN_GRACE;
    private Optional<KeepaliveConfig> keepalive = Optional.empty();
    private boolean acceptProxyProtocol;
    private ModeOptions options = TcpOptions.DEFAULTS;
    private Optional<HealthCheckConfig> healthCheck = Optional.empty();
    private Optional<OutlierConfig> outlier = Optional.empty();
    private Duration slowStart = Duration.ZERO;
    private Optional<FeedbackConfig> feedback = Optional.empty();

    public static Configs tcp(String scheduler) {
        Configs c = new Configs();
        c.scheduler = scheduler;
        return c;
    }

    /** A udp frontend on 127.0.0.1:0 over one backend. */
    public static Configs udp(String scheduler, boolean perDatagram) {
        Configs c = tcp(scheduler);
        c.options = new UdpOptions(perDatagram);
        return c;
    }

    public Configs server(UdpTestServer s, int weight) {
        return server(s.name(), s.address(), weight);
    }

    public Configs schedulerOptions(java.util.Map<String, String> options) {
        this.schedulerOptions = options;
        return this;
    }

    public Configs server(String name, String address, int weight) {
        return server(name, address, weight, 0);
    }

    public Configs server(String name, String address, int weight, int maxConnections) {
        String[] hp = address.split(":");
        servers.add(new ServerConfig(name, new HostPort(hp[0], Integer.parseInt(hp[1])), weight, maxConnections,
                Optional.empty()));
        return this;
    }

    public Configs server(TestServer s, int weight, ProxyProtocolVersion sendProxy) {
        String[] hp = s.address().split(":");
        servers.add(new ServerConfig(s.name(), new HostPort(hp[0], Integer.parseInt(hp[1])), weight, 0,
                Optional.of(sendProxy)));
        return this;
    }

    /** The frontend expects a PROXY protocol header from clients. */
    public Configs acceptProxyProtocol() {
        this.acceptProxyProtocol = true;
        return this;
    }

    public Configs server(TestServer s, int weight) {
        return server(s.name(), s.address(), weight);
    }

    public Configs frontendMaxConnections(int max) {
        this.frontendMax = max;
        return this;
    }

    public Configs retries(int retries) {
        this.retries = retries;
        return this;
    }

    public Configs clientIdle(Duration idle) {
        this.clientIdle = idle;
        return this;
    }

    public Configs connectTimeout(Duration timeout) {
        this.connectTimeout = timeout;
        return this;
    }

    public Configs grace(Duration grace) {
        this.grace = grace;
        return this;
    }

    public Configs keepalive(KeepaliveConfig keepalive) {
        this.keepalive = Optional.of(keepalive);
        return this;
    }

    public Configs healthCheck(HealthCheckConfig check) {
        this.healthCheck = Optional.of(check);
        return this;
    }

    public Configs outlier(OutlierConfig outlier) {
        this.outlier = Optional.of(outlier);
        return this;
    }

    public Configs slowStart(Duration slowStart) {
        this.slowStart = slowStart;
        return this;
    }

    public Configs feedback(FeedbackConfig feedback) {
        this.feedback = Optional.of(feedback);
        return this;
    }

    public FerryConfig build() {
        BackendConfig backend = new BackendConfig("pool", new SchedulerConfig(scheduler, schedulerOptions), BackendConfig.DEFAULT_HASH_KEY,
                servers, healthCheck, outlier, slowStart, feedback, retries,
                new BackendTimeouts(connectTimeout, BackendTimeouts.DEFAULTS.serverIdle(),
                        BackendTimeouts.DEFAULTS.response()), keepalive);
        FrontendConfig frontend = new FrontendConfig("front", new HostPort("127.0.0.1", 0),
                Optional.empty(), acceptProxyProtocol, List.of(), Optional.of("pool"), frontendMax,
                new FrontendTimeouts(clientIdle, FrontendTimeouts.DEFAULTS.requestHeader()), options);
        return new FerryConfig(Path.of("<test>"), Optional.empty(), List.of(frontend), List.of(backend), grace);
    }
}
