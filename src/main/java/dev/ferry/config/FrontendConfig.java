package dev.ferry.config;

import java.util.List;
import java.util.Optional;

/**
 * One entry of {@code frontends:}: what every frontend has, and the options of its one mode.
 *
 * @param name           unique among frontends
 * @param listen         the address to bind
 * @param tls            present when TLS is terminated here (tcp and http modes)
 * @param proxyProtocol  accept a PROXY protocol v1/v2 header from clients (key {@code proxy_protocol})
 * @param routes         http mode: routes in order, first match wins; empty for tcp/udp
 * @param backend        tcp and udp modes: the one backend (empty for http frontends that only use routes)
 * @param maxConnections the most client connections open at once; further ones are refused (default 10000)
 * @param timeouts       client-side timeouts
 * @param options        the mode ({@code mode}: tcp, udp or http) with that mode's options ({@code udp:},
 *                       {@code http:}); only the frontend's own mode's options exist
 * @param connectionAge  http mode: how long a client connection lives ({@code max_connection_age},
 *                       {@code max_connection_age_grace}); {@link ConnectionAge#NONE} for others
 * @param requestHeaders  http mode: header rules for every request sent to a server, before the route's own
 * @param responseHeaders http mode: header rules for every response to a client, before the route's own
 * @param access         {@code allow}, {@code deny}, {@code allow_file}, {@code deny_file}: who may connect (tcp:
 *                       checked at accept; udp: per datagram; http: per request, 403)
 * @param rateLimit      {@code rate_limit}: request and connection limits per key (tcp and http)
 */
public record FrontendConfig(String name, HostPort listen, Optional<TlsConfig> tls, boolean proxyProtocol,
                             List<RouteConfig> routes, Optional<String> backend, int maxConnections,
                             FrontendTimeouts timeouts, ModeOptions options, ConnectionAge connectionAge,
                             HeaderRules requestHeaders, HeaderRules responseHeaders, AccessRules access,
                             Optional<RateLimitConfig> rateLimit) {
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

    public FrontendConfig {
        routes = List.copyOf(routes);
    }

    /** Without header rules of the frontend's own, access rules or rate limit. */
    public FrontendConfig(String name, HostPort listen, Optional<TlsConfig> tls, boolean proxyProtocol,
                          List<RouteConfig> routes, Optional<String> backend, int maxConnections,
                          FrontendTimeouts timeouts, ModeOptions options, ConnectionAge connectionAge) {
        this(name, listen, tls, proxyProtocol, routes, backend, maxConnections, timeouts, options, connectionAge,
                HeaderRules.NONE, HeaderRules.NONE, AccessRules.NONE, Optional.empty());
    }

    /** Without a connection age limit. */
    public FrontendConfig(String name, HostPort listen, Optional<TlsConfig> tls, boolean proxyProtocol,
                          List<RouteConfig> routes, Optional<String> backend, int maxConnections,
                          FrontendTimeouts timeouts, ModeOptions options) {
        this(name, listen, tls, proxyProtocol, routes, backend, maxConnections, timeouts, options,
                ConnectionAge.NONE);
    }

    /** tcp, udp or http: the mode of {@link #options()}. */
    public Mode mode() {
        return options.mode();
    }

    /**
     * Whether {@code next} asks for a listening socket made as this frontend's was (mode, PROXY protocol, TLS or
     * not, and for HTTP deferred accept), so that a reload can keep the socket and change the rest in place (a
     * changed {@code tls:} swaps the certificates and policy for new handshakes).
     */
    public boolean keepsListenerSettings(FrontendConfig next) {
        boolean sameAccept = next.proxyProtocol == proxyProtocol && next.tls.isPresent() == tls.isPresent();
        return switch (options) {
            case UdpOptions u -> next.options instanceof UdpOptions;
            case TcpOptions t -> next.options instanceof TcpOptions && sameAccept;
            case HttpOptions h -> next.options instanceof HttpOptions n && sameAccept
                    && n.deferAccept() == h.deferAccept() && n.protocols().equals(h.protocols());
        };
    }

    /**
     * Whether {@code address} is where this frontend listens: its {@code listen} as written, or the same host and
     * the port its socket was bound to ({@code boundPort}; 0 when unknown), for a file that says port 0.
     */
    public boolean listensOn(HostPort address, int boundPort) {
        return address.equals(listen) || (boundPort != 0 && address.host().equals(listen.host())
                && address.port() == boundPort);
    }
}
