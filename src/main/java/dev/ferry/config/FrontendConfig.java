package dev.ferry.config;

import java.util.List;
import java.util.Optional;

/**
 * One entry of {@code frontends:}.
 *
 * @param name           unique among frontends
 * @param listen         the address to bind
 * @param mode           tcp, udp or http
 * @param tls            present when TLS is terminated here (tcp and http modes)
 * @param proxyProtocol  accept a PROXY protocol v1/v2 header from clients (key {@code proxy_protocol})
 * @param routes         http mode: routes in order, first match wins; empty for tcp/udp
 * @param backend        tcp and udp modes: the one backend (empty for http frontends that only use routes)
 * @param maxConnections the most client connections open at once; further ones are refused (default 10000)
 * @param timeouts       client-side timeouts
 * @param udp            udp mode options
 * @param http           http mode options (limits on request heads)
 */
public record FrontendConfig(String name, HostPort listen, Mode mode, Optional<TlsConfig> tls, boolean proxyProtocol,
                             List<RouteConfig> routes, Optional<String> backend, int maxConnections,
                             FrontendTimeouts timeouts, UdpOptions udp, HttpOptions http) {
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

    public FrontendConfig {
        routes = List.copyOf(routes);
    }

    /**
     * Whether {@code next} asks for a listening socket made as this frontend's was (mode, PROXY protocol, TLS, and
     * for HTTP deferred accept), so that a reload can keep the socket and change the rest in place.
     */
    public boolean keepsListenerSettings(FrontendConfig next) {
        if (next.mode != mode) {
            return false;
        }
        if (mode == Mode.UDP) {
            return true;
        }
        return next.proxyProtocol == proxyProtocol && next.tls.equals(tls)
                && (mode != Mode.HTTP || next.http.deferAccept() == http.deferAccept());
    }

    /**
     * Whether {@code address} is where this frontend listens: its {@code listen} as written, or the same host and
     * the port its socket was bound to ({@code boundPort}; 0 when unknown), for a file that says port 0.
     */
    public boolean listensOn(HostPort address, int boundPort) {
        return address.equals(listen) || (boundPort != 0 && address.host().equals(listen.host())
                && address.port() == boundPort);
    }

    /** A frontend with the default {@code http:} options. */
    public FrontendConfig(String name, HostPort listen, Mode mode, Optional<TlsConfig> tls, boolean proxyProtocol,
                          List<RouteConfig> routes, Optional<String> backend, int maxConnections,
                          FrontendTimeouts timeouts, UdpOptions udp) {
        this(name, listen, mode, tls, proxyProtocol, routes, backend, maxConnections, timeouts, udp,
                HttpOptions.DEFAULTS);
    }
}
