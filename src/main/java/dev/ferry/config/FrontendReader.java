package dev.ferry.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads one entry of {@code frontends:} into a {@link FrontendConfig}, including the rules that depend on mode. */
final class FrontendReader {
    static final List<String> KEYS = List.of("name", "listen", "mode", "tls", "proxy_protocol", "routes", "backend",
            "max_connections", "timeouts", "udp", "http", "max_connection_age", "max_connection_age_grace",
            "request_headers", "response_headers", "allow", "deny", "allow_file", "deny_file", "rate_limit",
            "persistence");
    static final List<String> TIMEOUT_KEYS = List.of("client_idle", "request_header");
    static final List<String> TLS_KEYS = TlsReader.KEYS;
    static final List<String> CERTIFICATE_KEYS = TlsReader.CERTIFICATE_KEYS;
    static final List<String> UDP_KEYS = List.of("per_datagram");
    static final List<String> HTTP_KEYS = List.of("max_request_line", "max_header_size", "max_header_count",
            "forwarding_headers", "defer_accept", "lingering_close", "lingering_time", "lingering_timeout",
            "lingering_bytes", "protocols", "h2");
    static final List<String> H2_KEYS = List.of("max_concurrent_streams", "max_header_list_size", "max_resets",
            "max_local_resets", "reset_window", "max_control_frames", "control_window", "max_queued_control_frames",
            "max_empty_frames", "max_continuation_frames");
    private static final Map<String, Mode> MODES = YamlMap.choicesOf(Mode.class);
    private static final Map<String, LingeringOptions.Mode> LINGERING_MODES =
            YamlMap.choicesOf(LingeringOptions.Mode.class);
    private static final Duration POSITIVE = Duration.ofMillis(1);

    private final CrossChecks crossChecks;
    private final RouteReader routeReader;
    private final TlsReader tlsReader;
    private final AdmissionReader admission;

    FrontendReader(CrossChecks crossChecks, Paths paths) {
        this.crossChecks = crossChecks;
        this.admission = new AdmissionReader(paths);
        this.routeReader = new RouteReader(crossChecks, admission);
        this.tlsReader = new TlsReader(paths);
    }

    FrontendConfig read(YamlMap f) {
        String name = f.name("name").orElse(null);
        if (name != null) {
            crossChecks.frontendName(name, f.value("name").orElseThrow(), f.keyPath("name"));
        } else if (!f.has("name")) {
            f.missing("name", "every frontend needs a unique name");
        }
        Optional<Mode> chosen = f.choice("mode", MODES);
        Mode mode = chosen.orElse(Mode.TCP);
        // With a misspelt mode, rules that depend on it would only add noise to the one real mistake.
        boolean modeKnown = chosen.isPresent() || !f.has("mode");
        HostPort listen = f.address("listen", true).orElse(null);
        if (listen != null) {
            crossChecks.listen(listen, mode == Mode.UDP, f.value("listen").orElseThrow(), f.keyPath("listen"));
        } else if (!f.has("listen")) {
            f.missing("listen", "every frontend needs an address to listen on, e.g. 0.0.0.0:8080");
        }
        Optional<TlsConfig> tls = f.map("tls", TLS_KEYS).map(t -> tlsReader.read(t, mode == Mode.HTTP || !modeKnown));
        if (tls.isPresent() && mode == Mode.UDP && modeKnown) {
            f.problem("tls", "tls applies only to tcp and http frontends");
        }
        boolean proxyProtocol = f.bool("proxy_protocol", false);
        if (proxyProtocol && mode == Mode.UDP && modeKnown) {
            f.problem("proxy_protocol", "proxy_protocol applies only to tcp and http frontends");
        }
        List<RouteConfig> routes = List.of();
        if (f.has("routes")) {
            if (mode == Mode.HTTP || !modeKnown) {
                routes = routeReader.readAll(f);
            } else {
                f.problem("routes", "routes apply only to http frontends; a " + mode.key()
                        + " frontend sends everything to its backend:");
            }
        }
        Optional<String> backend = f.name("backend");
        backend.ifPresent(b -> crossChecks.backendReference(b, f.value("backend").orElseThrow(), f.keyPath("backend"),
                mode == Mode.HTTP || !modeKnown));
        if (!f.has("backend") && modeKnown) {
            if (mode != Mode.HTTP) {
                f.missing("backend", "a " + mode.key() + " frontend needs the backend it sends traffic to");
            } else if (!f.has("routes")) {
                f.missing("routes", "an http frontend needs routes:, a backend: for every request, or both");
            } else if (f.isEmptyList("routes")) {
                f.problem("routes", "is empty; an http frontend needs routes:, a backend: for every request, or both");
            }
        }
        int maxConnections = f.integer("max_connections", FrontendConfig.DEFAULT_MAX_CONNECTIONS, 0, Integer.MAX_VALUE);
        FrontendTimeouts timeouts = f.map("timeouts", TIMEOUT_KEYS).map(FrontendReader::timeouts)
                .orElse(FrontendTimeouts.DEFAULTS);
        // Both blocks are read whatever the mode, so that what is wrong inside one is reported with the misplacement.
        UdpOptions udp = f.map("udp", UDP_KEYS).map(u -> new UdpOptions(u.bool("per_datagram", false)))
                .orElse(UdpOptions.DEFAULTS);
        if (f.has("udp") && mode != Mode.UDP && modeKnown) {
            f.problem("udp", "udp: options apply only to udp frontends");
        }
        HttpOptions http = f.map("http", HTTP_KEYS).map(FrontendReader::http).orElse(HttpOptions.DEFAULTS);
        if (f.has("http") && mode != Mode.HTTP) {
            f.problem("http", "http: options apply only to http frontends");
        }
        Optional<PersistenceConfig> persistence = StickyReader.persistence(f);
        if (persistence.isPresent() && mode == Mode.HTTP) {
            f.problem("persistence", "persistence applies to tcp and udp frontends; an http frontend's backend keeps "
                    + "clients on a server with sticky: (a cookie) or stick: (a stick table)");
        } else if (persistence.isPresent() && mode == Mode.UDP && udp.perDatagram()) {
            f.problem("persistence", "persistence keeps a client's sessions on one server, and udp.per_datagram: "
                    + "true schedules every datagram on its own; use one or the other");
        }
        ModeOptions options = switch (mode) {
            case TCP -> new TcpOptions(persistence);
            case UDP -> new UdpOptions(udp.perDatagram(), persistence);
            case HTTP -> http;
        };
        ConnectionAge age = new ConnectionAge(f.duration("max_connection_age", ConnectionAge.NONE.maxAge(), Duration.ZERO),
                f.duration("max_connection_age_grace", ConnectionAge.NONE.grace(), Duration.ZERO));
        for (String key : List.of("max_connection_age", "max_connection_age_grace")) {
            if (f.has(key) && mode != Mode.HTTP && modeKnown) {
                f.problem(key, key + " applies only to http frontends; a " + mode.key()
                        + " frontend's connections last as long as their clients keep them");
            }
        }
        HeaderRules requestHeaders = headerRules(f, "request_headers", mode, modeKnown);
        HeaderRules responseHeaders = headerRules(f, "response_headers", mode, modeKnown);
        AccessRules access = admission.access(f);
        Optional<RateLimitConfig> rateLimit = admission.rateLimit(f, switch (mode) {
            case TCP -> AdmissionReader.Scope.TCP_FRONTEND;
            case UDP -> AdmissionReader.Scope.UDP_FRONTEND;
            case HTTP -> AdmissionReader.Scope.HTTP_FRONTEND;
        }, modeKnown);
        return new FrontendConfig(name, listen, tls, proxyProtocol, routes, backend, maxConnections, timeouts,
                options, age, requestHeaders, responseHeaders, access, rateLimit);
    }

    /** A frontend's {@code request_headers:} / {@code response_headers:}: for every request of an http frontend. */
    private static HeaderRules headerRules(YamlMap f, String key, Mode mode, boolean modeKnown) {
        HeaderRules rules = f.map(key, RouteActionsReader.HEADER_KEYS).map(RouteActionsReader::rules)
                .orElse(HeaderRules.NONE);
        if (f.has(key) && mode != Mode.HTTP && modeKnown) {
            f.problem(key, key + " applies only to http frontends");
        }
        return rules;
    }

    private static FrontendTimeouts timeouts(YamlMap t) {
        FrontendTimeouts d = FrontendTimeouts.DEFAULTS;
        return new FrontendTimeouts(t.duration("client_idle", d.clientIdle(), POSITIVE),
                t.duration("request_header", d.requestHeader(), POSITIVE));
    }

    private static HttpOptions http(YamlMap h) {
        HttpOptions d = HttpOptions.DEFAULTS;
        return new HttpOptions(limit(h, "max_request_line", d.maxRequestLine()),
                limit(h, "max_header_size", d.maxHeaderSize()),
                h.integer("max_header_count", d.maxHeaderCount(), 1, HttpOptions.MAX_HEADER_COUNT),
                forwardingHeaders(h, d.forwardingHeaders()),
                h.bool("defer_accept", d.deferAccept()),
                lingering(h, d.lingering()),
                protocols(h, d.protocols()),
                h.map("h2", H2_KEYS).map(FrontendReader::h2).orElse(d.h2()));
    }

    /** {@code http.h2}: each limit at least 1 (a limit of 0 would refuse every client, not switch a defence off). */
    private static Http2Options h2(YamlMap h) {
        Http2Options d = Http2Options.DEFAULTS;
        int maxHeaderListSize = h.has("max_header_list_size") ? limit(h, "max_header_list_size", 0)
                : d.maxHeaderListSize();
        Duration resetWindow = h.duration("reset_window", Duration.ofSeconds(1)).map(w -> {
            if (w.toMillis() % 1000 != 0 || w.compareTo(Http2Options.MAX_RESET_WINDOW) > 0) {
                h.problem("reset_window", "must be whole seconds from 1s to 1h (e.g. 30s); Netty counts resets "
                        + "per whole second");
                return d.resetWindow();
            }
            return w;
        }).orElse(d.resetWindow());
        return new Http2Options(
                h.integer("max_concurrent_streams", d.maxConcurrentStreams(), 1, Http2Options.MAX_CONCURRENT_STREAMS),
                maxHeaderListSize,
                h.integer("max_resets", d.maxResets(), 1, Integer.MAX_VALUE),
                h.integer("max_local_resets", d.maxLocalResets(), 1, Integer.MAX_VALUE),
                resetWindow,
                h.integer("max_control_frames", d.maxControlFrames(), 1, Integer.MAX_VALUE),
                h.duration("control_window", d.controlWindow(), POSITIVE),
                h.integer("max_queued_control_frames", d.maxQueuedControlFrames(), 1, Integer.MAX_VALUE),
                h.integer("max_empty_frames", d.maxEmptyFrames(), 1, Integer.MAX_VALUE),
                h.integer("max_continuation_frames", d.maxContinuationFrames(), 1, Integer.MAX_VALUE));
    }

    /** {@code protocols}: a non-empty list of {@code h2} and {@code http/1.1}, each at most once, in any order. */
    private static List<HttpProtocol> protocols(YamlMap h, List<HttpProtocol> fallback) {
        if (!h.has("protocols")) {
            return fallback;
        }
        Map<String, HttpProtocol> allowed = new LinkedHashMap<>();
        for (HttpProtocol p : HttpProtocol.values()) {
            allowed.put(p.key(), p);
        }
        String allowedText = "allowed: " + String.join(", ", allowed.keySet()) + ", each at most once, e.g. [h2, "
                + "http/1.1]";
        List<HttpProtocol> chosen = new ArrayList<>();
        boolean bad = false;
        for (String name : h.textList("protocols", "a protocol name such as h2 or http/1.1")) {
            HttpProtocol p = allowed.get(name.toLowerCase(Locale.ROOT));
            if (p == null) {
                String hint = Suggestions.closest(name.toLowerCase(Locale.ROOT), allowed.keySet())
                        .map(s -> "did you mean '" + s + "'? ").orElse("");
                h.problem("protocols", "'" + name + "' is not a protocol Ferry speaks; " + hint + allowedText);
                bad = true;
            } else if (chosen.contains(p)) {
                h.problem("protocols", "'" + name + "' is listed twice; " + allowedText);
                bad = true;
            } else {
                chosen.add(p);
            }
        }
        if (chosen.isEmpty() && !bad) {
            h.problem("protocols", "is empty; an http frontend speaks at least one protocol; " + allowedText);
        }
        return bad || chosen.isEmpty() ? fallback : chosen;
    }

    private static LingeringOptions lingering(YamlMap h, LingeringOptions d) {
        long maxBytes = h.parsed("lingering_bytes", "a size such as 64MiB", Sizes::parse).map(bytes -> {
            if (bytes < 1) {
                h.problem("lingering_bytes", "must be more than 0");
                return d.maxBytes();
            }
            return bytes;
        }).orElse(d.maxBytes());
        return new LingeringOptions(h.choice("lingering_close", LINGERING_MODES).orElse(d.mode()),
                h.duration("lingering_time", d.time(), POSITIVE),
                h.duration("lingering_timeout", d.timeout(), POSITIVE),
                maxBytes);
    }

    private static Set<ForwardingHeader> forwardingHeaders(YamlMap h, Set<ForwardingHeader> fallback) {
        if (!h.has("forwarding_headers")) {
            return fallback;
        }
        Map<String, ForwardingHeader> allowed = new LinkedHashMap<>();
        for (ForwardingHeader header : ForwardingHeader.values()) {
            allowed.put(header.key(), header);
        }
        Set<ForwardingHeader> chosen = EnumSet.noneOf(ForwardingHeader.class);
        for (String name : h.textList("forwarding_headers", "a header name such as X-Forwarded-For")) {
            ForwardingHeader header = allowed.get(name.toLowerCase(Locale.ROOT));
            if (header == null) {
                String hint = Suggestions.closest(name.toLowerCase(Locale.ROOT), allowed.keySet())
                        .map(s -> "did you mean '" + s + "'? ").orElse("");
                h.problem("forwarding_headers", "'" + name + "' is not a header Ferry adds; " + hint
                        + "allowed (any case): " + String.join(", ", allowed.keySet()) + ", or [] for none");
            } else {
                chosen.add(header);
            }
        }
        return chosen;
    }

    private static int limit(YamlMap h, String key, int fallback) {
        return h.parsed(key, "a size such as 16KiB", Sizes::parse).map(bytes -> {
            if (bytes < HttpOptions.MIN_LIMIT || bytes > HttpOptions.MAX_LIMIT) {
                h.problem(key, bytes + " bytes is out of range; allowed: 256B to 1MiB");
                return fallback;
            }
            return (int) (long) bytes;
        }).orElse(fallback);
    }
}
