package dev.ferry.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** Reads one entry of {@code backends:} into a {@link BackendConfig}: servers, scheduler and policies. */
final class BackendReader {
    static final List<String> KEYS = List.of("name", "scheduler", "hash_key", "servers", "health_check", "outlier",
            "slow_start", "feedback", "retries", "timeouts", "tcp_keepalive", "resolver", "protocol",
            "max_connection_age", "http2", "tls", "queue", "allbackups", "sticky", "stick");
    static final List<String> SERVER_KEYS = List.of("name", "address", "weight", "max_connections", "send_proxy",
            "resolve", "srv", "forwarding", "protocol", "tls", "backup");
    static final List<String> HTTP2_KEYS = List.of("max_connections", "max_concurrent_streams");
    private static final Map<String, UpstreamProtocol> PROTOCOLS = UpstreamProtocol.choices();
    private static final String H2_NEEDS_TLS = "h2 is HTTP/2 over TLS (chosen by ALPN) and this server has no tls:; "
            + "add tls: to the backend or the server (tls: {} trusts the JDK's certificate authorities), or use h2c "
            + "(HTTP/2 over plain TCP by prior knowledge)";
    private static final String H2C_WITH_TLS = "h2c is HTTP/2 over plain TCP, and this server has tls:; for HTTP/2 "
            + "over TLS write protocol: h2";
    static final List<String> RESOLVER_KEYS = List.of("nameserver", "refresh", "timeout");
    static final List<String> OUTLIER_KEYS = List.of("consecutive_failures", "ejection", "max_ejected_percent");
    static final List<String> TIMEOUT_KEYS = List.of("connect", "server_idle", "response");
    static final List<String> KEEPALIVE_KEYS = List.of("idle", "interval", "count");
    static final int DEFAULT_CONSECUTIVE_FAILURES = 5;
    static final Duration DEFAULT_EJECTION = Duration.ofSeconds(30);
    static final int DEFAULT_MAX_EJECTED_PERCENT = 50;
    private static final Map<String, ProxyProtocolVersion> PROXY_VERSIONS =
            YamlMap.choicesOf(ProxyProtocolVersion.class);
    private static final Duration POSITIVE = Duration.ofMillis(1);
    private static final Map<String, DirectorServiceConfig.Forwarding> FORWARDINGS =
            YamlMap.choicesOf(DirectorServiceConfig.Forwarding.class);
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);
    // Linux caps TCP_KEEPIDLE and TCP_KEEPINTVL at 32767 seconds and TCP_KEEPCNT at 127.
    private static final Duration MAX_KEEPALIVE_TIME = Duration.ofSeconds(32_767);

    private final CrossChecks crossChecks;
    private final SchedulerReader schedulerReader;
    private final UpstreamTlsReader tlsReader;
    private final StickyReader stickyReader;

    BackendReader(CrossChecks crossChecks, Function<SchedulerConfig, List<SchedulerProblem>> schedulerProblems,
                  Paths paths) {
        this.crossChecks = crossChecks;
        this.schedulerReader = new SchedulerReader(schedulerProblems);
        this.tlsReader = new UpstreamTlsReader(paths);
        this.stickyReader = new StickyReader(paths);
    }

    BackendConfig read(YamlMap b) {
        String name = b.name("name").orElse(null);
        if (name != null) {
            crossChecks.backendName(name, b.value("name").orElseThrow(), b.keyPath("name"));
        } else if (!b.has("name")) {
            b.missing("name", "every backend needs a unique name");
        }
        SchedulerConfig scheduler = schedulerReader.read(b);
        String hashKey = b.text("hash_key", "a hash key such as source_ip").orElse(BackendConfig.DEFAULT_HASH_KEY);
        HashKey.problem(hashKey).ifPresent(p -> b.problem("hash_key", p));
        UpstreamProtocol protocol = b.choice("protocol", PROTOCOLS).orElse(UpstreamProtocol.HTTP_1_1);
        Optional<UpstreamTlsConfig> tls = tlsReader.read(b);
        List<ServerConfig> servers = servers(b, protocol, tls);
        Optional<HealthCheckConfig> healthCheck = b.map("health_check", HealthCheckReader.KEYS)
                .map(HealthCheckReader::read);
        Optional<OutlierConfig> outlier = b.map("outlier", OUTLIER_KEYS).map(BackendReader::outlier);
        Duration slowStart = b.duration("slow_start", Duration.ZERO, Duration.ZERO);
        Optional<FeedbackConfig> feedback = b.map("feedback", FeedbackReader.KEYS).map(FeedbackReader::read)
                .filter(FeedbackConfig::enabled);
        int retries = b.integer("retries", BackendConfig.DEFAULT_RETRIES, 0, Integer.MAX_VALUE);
        BackendTimeouts timeouts = b.map("timeouts", TIMEOUT_KEYS).map(BackendReader::timeouts)
                .orElse(BackendTimeouts.DEFAULTS);
        Optional<KeepaliveConfig> keepalive = b.map("tcp_keepalive", KEEPALIVE_KEYS).map(BackendReader::keepalive);
        ResolverConfig resolver = b.map("resolver", RESOLVER_KEYS).map(BackendReader::resolver)
                .orElse(ResolverConfig.DEFAULTS);
        if (b.has("resolver") && servers.stream().noneMatch(s -> s.discovery().isPresent())) {
            b.problem("resolver", "applies only to backends with servers found by DNS (resolve: true or srv:)");
        }
        Duration maxConnectionAge = b.duration("max_connection_age", Duration.ZERO, Duration.ZERO);
        UpstreamHttp2Config http2 = b.map("http2", HTTP2_KEYS).map(BackendReader::http2)
                .orElse(UpstreamHttp2Config.DEFAULTS);
        Optional<QueueConfig> queue = QueueReader.read(b, servers);
        boolean allBackups = QueueReader.allBackups(b, servers);
        Optional<StickyConfig> sticky = stickyReader.sticky(b);
        Optional<StickConfig> stick = stickyReader.stick(b);
        for (String key : List.of("sticky", "stick")) {
            if (name != null && b.has(key)) {
                crossChecks.httpOnlyBackendKey(name, b.value(key).orElseThrow(), b.keyPath(key));
            }
        }
        return new BackendConfig(name, scheduler, hashKey, servers, healthCheck, outlier, slowStart, feedback, retries,
                timeouts, keepalive, resolver, protocol, maxConnectionAge, http2, tls, queue, allBackups, sticky,
                stick);
    }

    private static UpstreamHttp2Config http2(YamlMap h) {
        UpstreamHttp2Config d = UpstreamHttp2Config.DEFAULTS;
        return new UpstreamHttp2Config(h.integer("max_connections", d.maxConnections(), 1, 1024),
                h.integer("max_concurrent_streams", d.maxConcurrentStreams(), 1, 10_000));
    }

    private List<ServerConfig> servers(YamlMap b, UpstreamProtocol backendProtocol,
                                       Optional<UpstreamTlsConfig> backendTls) {
        List<ServerConfig> servers = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        boolean[] protocolReported = {false};
        for (YamlMap s : b.mapList("servers", SERVER_KEYS)) {
            ServerConfig server = server(s, backendProtocol);
            Optional<UpstreamTlsConfig> own = tlsReader.read(s);
            server = server.withTls(own);
            tlsFitsProtocol(b, s, server.protocol().orElse(backendProtocol), server.protocol().isPresent(),
                    backendTls.isPresent() || own.isPresent(), protocolReported);
            servers.add(server);
            if (server.name() == null) {
                continue;
            }
            String earlier = seen.putIfAbsent(server.name(), s.path());
            if (earlier != null) {
                String key = s.has("name") ? "name" : s.has("srv") ? "srv" : "address";
                String why = s.has("name") ? "" : " (a server without name: is named by its " + key + ")";
                s.problem(key, "duplicate server name '" + server.name() + "' in this backend; " + earlier
                        + " already uses it" + why);
            }
        }
        if (!b.has("servers")) {
            b.missing("servers", "every backend needs at least one server, e.g. servers: [{ address: 10.0.0.11:80 }]");
        } else if (b.isEmptyList("servers")) {
            b.problem("servers", "is empty; every backend needs at least one server");
        }
        return servers;
    }

    private static ServerConfig server(YamlMap s, UpstreamProtocol backendProtocol) {
        Optional<HostPort> address = s.address("address", false);
        Optional<String> srv = s.parsed("srv", "an SRV name such as _http._tcp.api.example.com",
                DomainNames::absolute);
        boolean resolve = s.bool("resolve", false);
        if (s.has("srv") && s.has("address")) {
            s.problem("srv", "write either address: (with resolve: true to follow its DNS name) or srv:, not both");
        } else if (!s.has("address") && !s.has("srv")) {
            s.missing("address", "every server needs the address to connect to, e.g. 10.0.0.11:80");
        }
        if (s.has("srv") && s.has("resolve")) {
            s.problem("resolve", "srv: servers are always resolved; remove resolve:");
        }
        if (s.has("srv") && s.has("weight")) {
            s.problem("weight", "srv: servers take their weights from the SRV records; remove weight:");
        }
        Optional<ServerDiscovery> discovery = Optional.empty();
        if (srv.isPresent()) {
            discovery = Optional.of(new ServerDiscovery(ServerDiscovery.Kind.SRV, srv.get(), 0));
        } else if (resolve && address.isPresent() && io.netty.util.NetUtil.isValidIpV4Address(address.get().host())) {
            s.problem("resolve", "the address " + address.get() + " is an IP address already; resolve: true needs a "
                    + "DNS name to follow");
        } else if (resolve && address.isPresent()) {
            try {
                discovery = Optional.of(new ServerDiscovery(ServerDiscovery.Kind.ADDRESS,
                        DomainNames.absolute(address.get().host()), address.get().port()));
            } catch (IllegalArgumentException e) {
                s.problem("address", "resolve: true needs a DNS name here; " + e.getMessage());
            }
        }
        String name = s.has("name") ? s.name("name").orElse(null)
                : s.quietText(s.has("srv") ? "srv" : "address").map(String::strip).orElse(null);
        int weight = s.integer("weight", ServerConfig.DEFAULT_WEIGHT, 0, ServerConfig.MAX_WEIGHT);
        int maxConnections = s.integer("max_connections", 0, 0, Integer.MAX_VALUE);
        Optional<ProxyProtocolVersion> sendProxy = s.choice("send_proxy", PROXY_VERSIONS);
        Optional<DirectorServiceConfig.Forwarding> forwarding = s.choice("forwarding", FORWARDINGS);
        Optional<UpstreamProtocol> protocol = s.choice("protocol", PROTOCOLS);
        UpstreamProtocol speaks = protocol.orElse(backendProtocol);
        if (speaks.isHttp2() && sendProxy.isPresent()) {
            // A PROXY header speaks for one client; an HTTP/2 connection carries the requests of many.
            s.problem("send_proxy", "a PROXY header speaks for one client, and an HTTP/2 connection (protocol: "
                    + speaks.key() + ") carries the requests of many; drop send_proxy or use protocol: http/1.1");
        }
        return new ServerConfig(name, address.orElse(null), weight, maxConnections, sendProxy, discovery, forwarding,
                protocol, Optional.empty(), s.bool("backup", false));
    }

    /**
     * {@code h2} needs TLS and {@code h2c} refuses it: reported at the server's {@code protocol} when it wrote one,
     * else once at the backend's.
     */
    private static void tlsFitsProtocol(YamlMap b, YamlMap s, UpstreamProtocol speaks, boolean ownProtocol,
                                        boolean tls, boolean[] reported) {
        String problem = speaks == UpstreamProtocol.H2 && !tls ? H2_NEEDS_TLS
                : speaks == UpstreamProtocol.H2C && tls ? H2C_WITH_TLS : null;
        if (problem == null) {
            return;
        }
        if (ownProtocol) {
            s.problem("protocol", problem);
        } else if (!reported[0]) {
            reported[0] = true;
            b.problem("protocol", problem);
        }
    }

    private static ResolverConfig resolver(YamlMap r) {
        ResolverConfig d = ResolverConfig.DEFAULTS;
        return new ResolverConfig(r.address("nameserver", false), r.duration("refresh", d.refresh(),
                Duration.ofSeconds(1)), r.duration("timeout", d.timeout(), POSITIVE));
    }

    private static OutlierConfig outlier(YamlMap o) {
        return new OutlierConfig(o.integer("consecutive_failures", DEFAULT_CONSECUTIVE_FAILURES, 1, Integer.MAX_VALUE),
                o.duration("ejection", DEFAULT_EJECTION, POSITIVE),
                o.integer("max_ejected_percent", DEFAULT_MAX_EJECTED_PERCENT, 0, 100));
    }

    private static BackendTimeouts timeouts(YamlMap t) {
        BackendTimeouts d = BackendTimeouts.DEFAULTS;
        return new BackendTimeouts(t.duration("connect", d.connect(), POSITIVE),
                t.duration("server_idle", d.serverIdle(), POSITIVE), t.duration("response", d.response(), POSITIVE));
    }

    private static KeepaliveConfig keepalive(YamlMap k) {
        KeepaliveConfig d = KeepaliveConfig.DEFAULTS;
        return new KeepaliveConfig(keepaliveTime(k, "idle", d.idle()), keepaliveTime(k, "interval", d.interval()),
                k.integer("count", d.count(), 1, 127));
    }

    /** The kernel takes keepalive times in whole seconds, so anything else would be silently rounded. */
    private static Duration keepaliveTime(YamlMap k, String key, Duration fallback) {
        Optional<Duration> time = k.duration(key, ONE_SECOND);
        if (time.isPresent() && (time.get().toMillis() % 1000 != 0 || time.get().compareTo(MAX_KEEPALIVE_TIME) > 0)) {
            k.problem(key, Durations.format(time.get()) + " is not allowed; TCP keepalive takes whole seconds "
                    + "from 1s to 32767s");
            return fallback;
        }
        return time.orElse(fallback);
    }
}
