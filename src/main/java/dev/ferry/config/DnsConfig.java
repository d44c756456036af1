package dev.ferry.config;

import java.util.List;

/**
 * The {@code dns:} section: Ferry's authoritative DNS responder.
 *
 * @param listen where to answer, over UDP and TCP on the same address and port
 * @param zones  the zones Ferry is authoritative for, in file order; origins are unique
 */
public record DnsConfig(HostPort listen, List<DnsZoneConfig> zones) {
    public DnsConfig {
        zones = List.copyOf(zones);
    }
}
