package dev.ferry.config;

import dev.ferry.config.DirectorServiceConfig.Forwarding;

import java.util.Optional;

/**
 * One real server.
 *
 * @param name           unique within its backend (default: the address as written)
 * @param address        where to connect
 * @param weight         0..65535, default 1; 0 = quiesced
 * @param maxConnections the most connections at once (IPVS upper threshold); 0 = unlimited (key {@code max_connections})
 * @param sendProxy      send a PROXY protocol header of this version to the server (key {@code send_proxy})
 * @param discovery      present when the entry is found by DNS ({@code resolve: true} or {@code srv:}); then
 *                       {@code address} is the name as written (null for {@code srv:})
 * @param forwarding     how a director's packets reach this server, when not as its service says (key
 *                       {@code forwarding}, as {@code ipvsadm} sets the method per real server); ignored by proxies
 * @param protocol       what http frontends speak to this server, when not what its backend says (key
 *                       {@code protocol})
 * @param tls            this server's own {@code tls:}, each key given replacing its backend's (see
 *                       {@link UpstreamTlsConfig#over}); empty: as the backend says
 * @param backup         takes traffic only while no primary server of its backend is usable (key {@code backup},
 *                       HAProxy's {@code backup})
 */
public record ServerConfig(String name, HostPort address, int weight, int maxConnections,
                           Optional<ProxyProtocolVersion> sendProxy, Optional<ServerDiscovery> discovery,
                           Optional<Forwarding> forwarding, Optional<UpstreamProtocol> protocol,
                           Optional<UpstreamTlsConfig> tls, boolean backup) {
    public static final int DEFAULT_WEIGHT = 1;
    public static final int MAX_WEIGHT = 65_535;

    /** A primary server (not a backup) with no {@code tls:} of its own. */
    public ServerConfig(String name, HostPort address, int weight, int maxConnections,
                        Optional<ProxyProtocolVersion> sendProxy, Optional<ServerDiscovery> discovery,
                        Optional<Forwarding> forwarding, Optional<UpstreamProtocol> protocol) {
        this(name, address, weight, maxConnections, sendProxy, discovery, forwarding, protocol, Optional.empty(),
                false);
    }

    /** This server with {@code tls} as its own {@code tls:}. */
    public ServerConfig withTls(Optional<UpstreamTlsConfig> tls) {
        return new ServerConfig(name, address, weight, maxConnections, sendProxy, discovery, forwarding, protocol,
                tls, backup);
    }

    /** A server at a fixed address. */
    public ServerConfig(String name, HostPort address, int weight, int maxConnections,
                        Optional<ProxyProtocolVersion> sendProxy) {
        this(name, address, weight, maxConnections, sendProxy, Optional.empty());
    }

    /** A server that speaks what its backend says. */
    public ServerConfig(String name, HostPort address, int weight, int maxConnections,
                        Optional<ProxyProtocolVersion> sendProxy, Optional<ServerDiscovery> discovery,
                        Optional<Forwarding> forwarding) {
        this(name, address, weight, maxConnections, sendProxy, discovery, forwarding, Optional.empty());
    }

    /** A server that forwards as its director's service says. */
    public ServerConfig(String name, HostPort address, int weight, int maxConnections,
                        Optional<ProxyProtocolVersion> sendProxy, Optional<ServerDiscovery> discovery) {
        this(name, address, weight, maxConnections, sendProxy, discovery, Optional.empty());
    }
}
