package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code dns:} section: records read with their defaults, and each mistake placed at its key. */
class DnsConfigTest {
    private static final String FILE = "conf/ferry.yaml";
    private static final String BASE = """
            frontends: [ { name: web, listen: 127.0.0.1:0, backend: web } ]
            backends:
              - name: web
                servers: [ { address: 127.0.0.1:9001 } ]
            """;

    private static FerryConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of(FILE), ConfigLoaderTest::knownSchedulers);
    }

    private static List<ConfigProblem> problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be refused:\n" + yaml);
    }

    /** A problem on {@code line} of {@code yaml}, at the column where {@code token} first appears on that line. */
    private static ConfigProblem at(String yaml, int line, String token, String key, String message) {
        int index = yaml.lines().skip(line - 1).findFirst().orElseThrow().indexOf(token);
        assertThat(index).as("'%s' on line %d", token, line).isNotNegative();
        return new ConfigProblem(FILE, line, index + 1, key, message);
    }

    @Test
    void readsTheProductExampleAndStaticRecordsWithTheirDefaults() throws ConfigException {
        FerryConfig config = parse(BASE + """
                dns:
                  listen: 0.0.0.0:5353            # UDP and TCP
                  zones:
                    - origin: Example.COM.
                      ttl: 30
                      records:
                        - { name: www, type: A, backend: web, answers: 2 }
                        - { name: _http._tcp.www, type: SRV, backend: web }
                        - { name: mail, type: A, value: 192.0.2.25, ttl: 300 }
                        - { name: "@", type: AAAA, value: "2001:db8:0:0::1" }
                        - { name: docs, type: CNAME, value: www.example.com. }
                        - { name: "@", type: TXT, value: "v=spf1 -all" }
                        - { name: _sip._udp, type: SRV, priority: 10, weight: 5, port: 5060, target: sip.example.net }
                    - origin: example.org
                      ns: [ns1.example.com, ns2.example.com.]
                      hostmaster: dns.example.com
                """);

        DnsConfig dns = config.dns().orElseThrow();
        assertThat(dns.listen()).isEqualTo(new HostPort("0.0.0.0", 5353));
        DnsZoneConfig zone = dns.zones().getFirst();
        assertThat(zone.origin()).isEqualTo("example.com");
        assertThat(zone.ttl()).isEqualTo(30);
        assertThat(zone.nameServers()).containsExactly("ns.example.com");
        assertThat(zone.hostmaster()).isEqualTo("hostmaster.example.com");
        assertThat(zone.records()).containsExactly(
                new DnsRecordConfig("www.example.com", DnsRecordType.A, 30, Optional.of("web"), 2, Optional.empty(),
                        0, 0, 0, Optional.empty()),
                new DnsRecordConfig("_http._tcp.www.example.com", DnsRecordType.SRV, 30, Optional.of("web"), 0,
                        Optional.empty(), 0, 0, 0, Optional.empty()),
                new DnsRecordConfig("mail.example.com", DnsRecordType.A, 300, Optional.empty(), 0,
                        Optional.of("192.0.2.25"), 0, 0, 0, Optional.empty()),
                new DnsRecordConfig("example.com", DnsRecordType.AAAA, 30, Optional.empty(), 0,
                        Optional.of("2001:db8:0:0:0:0:0:1"), 0, 0, 0, Optional.empty()),
                new DnsRecordConfig("docs.example.com", DnsRecordType.CNAME, 30, Optional.empty(), 0,
                        Optional.of("www.example.com"), 0, 0, 0, Optional.empty()),
                new DnsRecordConfig("example.com", DnsRecordType.TXT, 30, Optional.empty(), 0,
                        Optional.of("v=spf1 -all"), 0, 0, 0, Optional.empty()),
                new DnsRecordConfig("_sip._udp.example.com", DnsRecordType.SRV, 30, Optional.empty(), 0,
                        Optional.empty(), 10, 5, 5060, Optional.of("sip.example.net")));
        DnsZoneConfig org = dns.zones().get(1);
        assertThat(org.nameServers()).containsExactly("ns1.example.com", "ns2.example.com");
        assertThat(org.hostmaster()).isEqualTo("dns.example.com");
        assertThat(org.records()).isEmpty();
    }

    @Test
    void eachMistakeIsPlacedAtItsKey() {
        String yaml = BASE + """
                dns:
                  listen: 127.0.0.1:5353
                  zones:
                    - origin: example..com
                    - origin: example.com
                      records:
                        - { name: www, type: A, backend: webb }
                        - { name: mail, type: A, value: 999.1.2.3 }
                        - { name: v6, type: AAAA, value: 192.0.2.1 }
                        - { name: txt, type: TXT, backend: web }
                        - { name: out.example.net., type: A, value: 192.0.2.1 }
                        - { name: s, type: SRV, port: 80 }
                        - { name: a, type: MX, value: x }
                        - { name: w, type: A, value: 192.0.2.1, answers: 2 }
                    - origin: example.com
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 8, "example..com", "dns.zones[0].origin",
                        "'example..com' is not a domain name: it has an empty label (two dots in a row)"),
                at(yaml, 11, "webb", "dns.zones[1].records[0].backend",
                        "no backend named 'webb'; did you mean 'web'? backends defined: web"),
                at(yaml, 12, "999", "dns.zones[1].records[1].value",
                        "'999.1.2.3' is not an IPv4 address such as 192.0.2.10"),
                at(yaml, 13, "192", "dns.zones[1].records[2].value",
                        "'192.0.2.1' is not an IPv6 address such as 2001:db8::10"),
                at(yaml, 14, "web", "dns.zones[1].records[3].backend",
                        "only A, AAAA and SRV records can be backed by a backend; a TXT record needs a value:"),
                at(yaml, 15, "out", "dns.zones[1].records[4].name",
                        "'out.example.net.' is outside the zone example.com; write a name relative to the zone "
                                + "(e.g. www), @ for the apex, or an absolute name ending in .example.com."),
                at(yaml, 16, "{", "dns.zones[1].records[5].target",
                        "missing; an SRV record needs a target name, or a backend: whose servers it lists"),
                at(yaml, 17, "MX", "dns.zones[1].records[6].type",
                        "'MX' is not allowed; allowed: A, AAAA, CNAME, TXT, SRV"),
                at(yaml, 18, "2 }", "dns.zones[1].records[7].answers",
                        "applies only to records backed by a backend:"),
                at(yaml, 19, "example.com", "dns.zones[2].origin",
                        "zone example.com is already defined by dns.zones[1]; write each zone once"));
    }

    @Test
    void aCnameMustStandAloneAndTheSectionNeedsZonesAndAListenAddress() {
        String cname = BASE + """
                dns:
                  listen: 127.0.0.1:5353
                  zones:
                    - origin: example.com
                      records:
                        - { name: www, type: CNAME, value: web.example.net }
                        - { name: www, type: TXT, value: hello }
                """;
        assertThat(problems(cname)).containsExactly(at(cname, 10, "CNAME", "dns.zones[0].records[0].type",
                "the CNAME at www.example.com shares its name with other records (or the apex's SOA and NS); a CNAME "
                        + "must stand alone"));

        String empty = BASE + """
                dns: { zones: [] }
                """;
        assertThat(problems(empty)).extracting(ConfigProblem::key).containsExactly("dns.listen", "dns.zones");
    }

    @Test
    void anRrsetHasOneTtlAndNoRecordTwice() {
        String yaml = BASE + """
                dns:
                  listen: 127.0.0.1:5353
                  zones:
                    - origin: example.com
                      records:
                        - { name: www, type: A, value: 192.0.2.1 }
                        - { name: www, type: A, value: 192.0.2.2, ttl: 300 }
                        - { name: www, type: A, value: 192.0.2.1, ttl: 60 }
                        - { name: www, type: TXT, value: hi, ttl: 300 }
                """;
        assertThat(problems(yaml)).containsExactly(
                at(yaml, 11, "300", "dns.zones[0].records[1].ttl", "the A records at www.example.com have ttl 30 "
                        + "(dns.zones[0].records[0]) and 300; the records of one name and type share one ttl "
                        + "(RFC 2181 section 5.2)"),
                at(yaml, 12, "{", "dns.zones[0].records[2]",
                        "is the same record as dns.zones[0].records[0]; write each record once"));
    }

    @Test
    void theDnsAddressClashesWithUdpAndTcpFrontends() {
        String yaml = """
                frontends:
                  - { name: web, listen: 127.0.0.1:5353, backend: web }
                backends:
                  - name: web
                    servers: [ { address: 127.0.0.1:9001 } ]
                dns:
                  listen: 127.0.0.1:5353
                  zones: [ { origin: example.com } ]
                """;
        assertThatThrownBy(() -> parse(yaml)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).extracting(ConfigProblem::key).containsExactly("dns.listen"));
    }

    @Test
    void serversFoundByDnsAndTheirResolver() throws ConfigException {
        FerryConfig config = parse("""
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: web } ]
                backends:
                  - name: web
                    resolver: { nameserver: 127.0.0.1:5353, refresh: 10s, timeout: 1s }
                    servers:
                      - { name: api, address: API.internal:8080, resolve: true, weight: 4 }
                      - { srv: _http._tcp.web.internal. }
                      - { address: 127.0.0.1:9001 }
                """);
        BackendConfig web = config.backend("web").orElseThrow();
        assertThat(web.resolver()).isEqualTo(new ResolverConfig(Optional.of(new HostPort("127.0.0.1", 5353)),
                java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(1)));
        assertThat(web.hasDiscovery()).isTrue();
        assertThat(web.servers()).extracting(ServerConfig::discovery).containsExactly(
                Optional.of(new ServerDiscovery(ServerDiscovery.Kind.ADDRESS, "api.internal", 8080)),
                Optional.of(new ServerDiscovery(ServerDiscovery.Kind.SRV, "_http._tcp.web.internal", 0)),
                Optional.empty());
        assertThat(web.servers().get(1).name()).as("named by its SRV name by default")
                .isEqualTo("_http._tcp.web.internal.");
        assertThat(web.servers().getFirst().weight()).isEqualTo(4);
    }

    @Test
    void discoveryMistakesArePlacedAtTheirKeys() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: web } ]
                backends:
                  - name: web
                    servers:
                      - { srv: _http._tcp.x, address: 10.0.0.1:80 }
                      - { srv: _http._tcp.x, weight: 2, resolve: true }
                      - { name: v, address: "[::1]:80", resolve: true }
                      - { name: w, address: "10.0.0.1:80", resolve: true }
                  - name: fixed
                    resolver: { refresh: 5s }
                    servers: [ { address: 127.0.0.1:9001 } ]
                """;
        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "_http", "backends[0].servers[0].srv",
                        "write either address: (with resolve: true to follow its DNS name) or srv:, not both"),
                at(yaml, 6, "_http", "backends[0].servers[1].srv", "duplicate server name '_http._tcp.x' in this "
                        + "backend; backends[0].servers[0] already uses it (a server without name: is named by its srv)"),
                at(yaml, 6, "2,", "backends[0].servers[1].weight",
                        "srv: servers take their weights from the SRV records; remove weight:"),
                at(yaml, 6, "true", "backends[0].servers[1].resolve",
                        "srv: servers are always resolved; remove resolve:"),
                at(yaml, 7, "\"[", "backends[0].servers[2].address",
                        "resolve: true needs a DNS name here; '::1' is not a domain name: label '::1' may hold only "
                                + "letters, digits, '-' and '_', at most 63 of them, and may not start or end with '-'"),
                at(yaml, 8, "true", "backends[0].servers[3].resolve", "the address 10.0.0.1:80 is an IP address "
                        + "already; resolve: true needs a DNS name to follow"),
                at(yaml, 10, "{ refresh", "backends[1].resolver",
                        "applies only to backends with servers found by DNS (resolve: true or srv:)"));
    }
}
