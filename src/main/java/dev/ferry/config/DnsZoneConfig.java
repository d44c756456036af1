package dev.ferry.config;

import java.util.List;

/**
 * One zone of {@code dns.zones}.
 *
 * @param origin      the zone's apex, lower case, without the final dot (e.g. {@code example.com})
 * @param ttl         seconds; the TTL of records that set none, of the apex SOA and NS, and of negative answers
 * @param nameServers the NS records at the apex, absolute names (key {@code ns}; default {@code ns.<origin>})
 * @param hostmaster  the SOA's responsible mailbox as a name (default {@code hostmaster.<origin>})
 * @param records     the zone's records in file order
 */
public record DnsZoneConfig(String origin, int ttl, List<String> nameServers, String hostmaster,
                            List<DnsRecordConfig> records) {
    public static final int DEFAULT_TTL = 30;

    public DnsZoneConfig {
        nameServers = List.copyOf(nameServers);
        records = List.copyOf(records);
    }
}
