package dev.ferry.config;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads the {@code dns:} section into a {@link DnsConfig}: zones, their records and what each record type needs. */
final class DnsReader {
    static final List<String> KEYS = List.of("listen", "zones");
    static final List<String> ZONE_KEYS = List.of("origin", "ttl", "ns", "hostmaster", "records");
    static final List<String> RECORD_KEYS = List.of("name", "type", "ttl", "backend", "answers", "value", "priority",
            "weight", "port", "target");
    private static final Map<String, DnsRecordType> TYPES = new LinkedHashMap<>();

    static {
        for (DnsRecordType t : DnsRecordType.values()) {
            TYPES.put(t.name(), t);
        }
    }

    private final CrossChecks crossChecks;

    DnsReader(CrossChecks crossChecks) {
        this.crossChecks = crossChecks;
    }

    DnsConfig read(YamlMap d) {
        Optional<HostPort> listen = d.address("listen", true);
        listen.ifPresent(l -> {
            crossChecks.listen(l, true, d.value("listen").orElseThrow(), d.keyPath("listen"));
            crossChecks.listen(l, false, d.value("listen").orElseThrow(), d.keyPath("listen"));
        });
        if (!d.has("listen")) {
            d.missing("listen", "the DNS responder needs an address to answer on (UDP and TCP), e.g. 0.0.0.0:53");
        }
        List<DnsZoneConfig> zones = new ArrayList<>();
        Map<String, String> origins = new HashMap<>();
        for (YamlMap z : d.mapList("zones", ZONE_KEYS)) {
            DnsZoneConfig zone = zone(z);
            if (zone.origin() != null) {
                String earlier = origins.putIfAbsent(zone.origin(), z.path());
                if (earlier != null) {
                    z.problem("origin", "zone " + zone.origin() + " is already defined by " + earlier
                            + "; write each zone once");
                }
            }
            zones.add(zone);
        }
        if (!d.has("zones")) {
            d.missing("zones", "the DNS responder needs at least one zone, e.g. zones: [{ origin: example.com }]");
        } else if (d.isEmptyList("zones")) {
            d.problem("zones", "is empty; the DNS responder needs at least one zone");
        }
        return new DnsConfig(listen.orElse(null), zones);
    }

    private DnsZoneConfig zone(YamlMap z) {
        String origin = z.parsed("origin", "a domain name such as example.com", DomainNames::absolute).orElse(null);
        if (!z.has("origin")) {
            z.missing("origin", "every zone needs its apex name, e.g. origin: example.com");
        }
        int ttl = ttl(z, DnsZoneConfig.DEFAULT_TTL);
        List<String> nameServers = new ArrayList<>();
        if (z.has("ns")) {
            for (String ns : z.textList("ns", "a name server's domain name")) {
                try {
                    nameServers.add(DomainNames.absolute(ns));
                } catch (IllegalArgumentException e) {
                    z.problem("ns", e.getMessage());
                }
            }
            if (z.isEmptyList("ns")) {
                z.problem("ns", "is empty; a zone needs at least one name server (default: ns.<origin>)");
            }
        } else if (origin != null) {
            nameServers.add("ns." + origin);
        }
        String hostmaster = z.parsed("hostmaster", "a mailbox written as a domain name",
                DomainNames::absolute).orElse(origin == null ? null : "hostmaster." + origin);
        List<DnsRecordConfig> records = new ArrayList<>();
        if (origin != null) {
            Map<DnsRecordConfig, YamlMap> written = new HashMap<>();
            List<YamlMap> sources = new ArrayList<>();
            for (YamlMap r : z.mapList("records", RECORD_KEYS)) {
                record(r, origin, ttl).ifPresent(record -> {
                    records.add(record);
                    sources.add(r);
                    written.putIfAbsent(record, r);
                });
            }
            cnameAlone(origin, records, written);
            rrsets(records, sources);
        }
        return new DnsZoneConfig(origin, ttl, nameServers, hostmaster, records);
    }

    private static int ttl(YamlMap m, int fallback) {
        return m.integer("ttl", fallback, 0, Integer.MAX_VALUE);
    }

    private Optional<DnsRecordConfig> record(YamlMap r, String origin, int zoneTtl) {
        Optional<String> name = r.parsed("name", "a name in the zone such as www, or @ for the apex",
                text -> DomainNames.owner(text, origin));
        if (!r.has("name")) {
            r.missing("name", "every record needs its name within the zone, e.g. name: www (or @ for the apex)");
        }
        Optional<DnsRecordType> type = r.choice("type", TYPES);
        if (!r.has("type")) {
            r.missing("type", "every record needs a type; allowed: " + String.join(", ", TYPES.keySet()));
        }
        int ttl = ttl(r, zoneTtl);
        Optional<String> backend = r.name("backend");
        backend.ifPresent(b -> crossChecks.backendReference(b, r.value("backend").orElseThrow(), r.keyPath("backend"),
                false));
        int answers = r.integer("answers", 0, 1, 1024);
        int priority = r.integer("priority", 0, 0, 65535);
        int weight = r.integer("weight", 0, 0, 65535);
        int port = r.integer("port", 0, 1, 65535);
        Optional<String> target = r.parsed("target", "the target's domain name", DomainNames::absolute);
        if (type.isEmpty()) {
            return Optional.empty();
        }
        DnsRecordType t = type.get();
        if (r.has("backend") && !t.fromBackend()) {
            r.problem("backend", "only A, AAAA and SRV records can be backed by a backend; a " + t
                    + " record needs a value:");
        }
        if (r.has("answers") && !r.has("backend")) {
            r.problem("answers", "applies only to records backed by a backend:");
        }
        Optional<String> value = value(r, t);
        if (t == DnsRecordType.SRV) {
            if (!r.has("backend")) {
                if (!r.has("target")) {
                    r.missing("target", "an SRV record needs a target name, or a backend: whose servers it lists");
                }
                if (!r.has("port")) {
                    r.missing("port", "an SRV record needs the service's port, or a backend: whose servers it lists");
                }
            } else {
                for (String key : List.of("target", "port", "weight")) {
                    if (r.has(key)) {
                        r.problem(key, "an SRV record backed by a backend takes " + key
                                + " from each server; remove the key");
                    }
                }
            }
        } else {
            for (String key : List.of("priority", "weight", "port", "target")) {
                if (r.has(key)) {
                    r.problem(key, "applies only to SRV records");
                }
            }
        }
        if (name.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DnsRecordConfig(name.get(), t, ttl, backend, answers, value, priority, weight, port,
                target));
    }

    private static Optional<String> value(YamlMap r, DnsRecordType t) {
        boolean backed = r.has("backend");
        if (t == DnsRecordType.SRV) {
            if (r.has("value")) {
                r.problem("value", "an SRV record is written with priority, weight, port and target, not value");
            }
            return Optional.empty();
        }
        if (backed && r.has("value")) {
            r.problem("value", "write either value: (a fixed address) or backend: (its servers' addresses), not both");
            return Optional.empty();
        }
        if (!backed && !r.has("value")) {
            r.missing("value", switch (t) {
                case A -> "an A record needs an IPv4 address as value:, or a backend: whose servers it lists";
                case AAAA -> "an AAAA record needs an IPv6 address as value:, or a backend: whose servers it lists";
                case CNAME -> "a CNAME record needs the target name as value:";
                default -> "a TXT record needs its text as value:";
            });
            return Optional.empty();
        }
        if (backed) {
            return Optional.empty();
        }
        return switch (t) {
            case A -> r.parsed("value", "an IPv4 address", text -> address(text, true));
            case AAAA -> r.parsed("value", "an IPv6 address", text -> address(text, false));
            case CNAME -> r.parsed("value", "the target's domain name", DomainNames::absolute);
            default -> r.text("value", "the record's text").map(text -> {
                if (text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 4000) {
                    r.problem("value", "is longer than 4000 bytes; a TXT record this long would not fit an answer");
                }
                return text;
            });
        };
    }

    /** An address literal of the right family, checked without any name lookup. */
    private static String address(String text, boolean v4) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null || bytes.length != (v4 ? 4 : 16)) {
            throw new IllegalArgumentException("'" + text + "' is not an " + (v4 ? "IPv4 address such as 192.0.2.10"
                    : "IPv6 address such as 2001:db8::10"));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("a 4- or 16-byte address is always accepted", e);
        }
    }

    /**
     * The records of one name and type form an RRset: they share one TTL (RFC 2181 section 5.2) and none is there
     * twice (RFC 2181 section 5). Knot refuses or folds such sets; Ferry refuses them at the record that breaks it.
     */
    private static void rrsets(List<DnsRecordConfig> records, List<YamlMap> sources) {
        Map<String, Integer> firstOfSet = new HashMap<>();
        Map<DnsRecordConfig, Integer> seen = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            DnsRecordConfig r = records.get(i);
            YamlMap source = sources.get(i);
            Integer same = seen.putIfAbsent(withoutTtl(r), i);
            if (same != null) {
                source.problemHere("is the same record as " + sources.get(same).path() + "; write each record once");
                continue;
            }
            Integer first = firstOfSet.putIfAbsent(r.name() + "/" + r.type(), i);
            if (first != null && records.get(first).ttl() != r.ttl()) {
                source.problem("ttl", "the " + r.type() + " records at " + r.name() + " have ttl "
                        + records.get(first).ttl() + " (" + sources.get(first).path() + ") and " + r.ttl()
                        + "; the records of one name and type share one ttl (RFC 2181 section 5.2)");
            }
        }
    }

    private static DnsRecordConfig withoutTtl(DnsRecordConfig r) {
        return new DnsRecordConfig(r.name(), r.type(), 0, r.backend(), r.answers(), r.value(), r.priority(),
                r.weight(), r.port(), r.target());
    }

    /** A CNAME owner may hold no other record (RFC 1034 section 3.6.2). */
    private static void cnameAlone(String origin, List<DnsRecordConfig> records,
                                   Map<DnsRecordConfig, YamlMap> written) {
        Map<String, Long> perName = new HashMap<>();
        for (DnsRecordConfig r : records) {
            perName.merge(r.name(), 1L, Long::sum);
        }
        for (DnsRecordConfig r : records) {
            if (r.type() == DnsRecordType.CNAME && (perName.get(r.name()) > 1 || r.name().equals(origin))) {
                written.get(r).problem("type", "the CNAME at " + r.name() + " shares its name with other records (or the "
                        + "apex's SOA and NS); a CNAME must stand alone");
            }
        }
    }
}
