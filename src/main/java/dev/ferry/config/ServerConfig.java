package dev.ferry.config;

import java.util.Optional;

/**
 * One real server.
 *
 * @param name           unique within its backend (default: the address as written)
 * @param address        where to connect
 * @param weight         0..65535, default 1; 0 = quiesced
 * @param maxConnections the most connections at once (IPVS upper threshold); 0 = unlimited (key {@code max_connections})
 * @param sendProxy      send a PROXY protocol header of this version to the server (key {@code send_proxy})
 */
public record ServerConfig(String name, HostPort address, int weight, int maxConnections,
                           Optional<ProxyProtocolVersion> sendProxy) {
    public static final int DEFAULT_WEIGHT = 1;
    public static final int MAX_WEIGHT = 65_535;
}
