package dev.ferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code allow}/{@code deny}/{@code allow_file}/{@code deny_file} and {@code rate_limit} as the readers take them, and
 * every mistake reported with file, line, column, key and what is allowed (network files with their own name and
 * line).
 */
class AdmissionConfigTest {
    private static final String POOL = """
            backends:
              - name: pool
                servers: [ { address: 127.0.0.1:9001 } ]
            """;

    @TempDir
    Path dir;

    private FerryConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, dir.resolve("ferry.yaml"), ConfigLoaderTest::knownSchedulers);
    }

    private List<String> problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.problems().stream().map(p -> p.toString().replace(dir + "/", "")).toList();
        }
        throw new AssertionError("expected the configuration to be refused:\n" + yaml);
    }

    @Test
    void accessRulesAndRateLimitsAreReadOnFrontendsAndRoutes() throws Exception {
        Files.writeString(dir.resolve("trusted.nets"), """
                # offices
                10.1.0.0/16   # Berlin
                2001:db8::/32

                192.0.2.7
                """);
        FerryConfig c = parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    deny: [203.0.113.0/24, "::1"]
                    allow_file: trusted.nets
                    rate_limit: { key: "header:X-Api-Key", requests_per_second: 0.5, burst: 3, status: 503,
                                  concurrent_requests: 4, size: 500, expire: 30s }
                    routes:
                      - match: { path_prefix: /admin/ }
                        backend: pool
                        allow: [127.0.0.1]
                        rate_limit: { netmask: 24, netmask6: 64, requests_per_second: 10 }
                      - backend: pool
                  - name: db
                    listen: 127.0.0.1:0
                    backend: pool
                    rate_limit: { connections_per_second: 2, connections_burst: 5, concurrent_connections: 3 }
                  - { name: dns, listen: 127.0.0.1:0, mode: udp, backend: pool, deny: [10.0.0.0/8] }
                """ + POOL);
        FrontendConfig web = c.frontends().get(0);
        assertThat(web.access().deny()).extracting(Cidr::text).containsExactly("203.0.113.0/24", "::1");
        assertThat(web.access().allowList()).isTrue();
        assertThat(web.access().allowFile().orElseThrow().networks()).extracting(Cidr::text)
                .containsExactly("10.1.0.0/16", "2001:db8::/32", "192.0.2.7");
        RateLimitConfig rl = web.rateLimit().orElseThrow();
        assertThat(rl.key()).isEqualTo(new HashKey(HashKey.Kind.HEADER, "X-Api-Key"));
        assertThat(rl.requestsPerSecond()).isEqualTo(0.5);
        assertThat(rl.burst()).isEqualTo(3);
        assertThat(rl.status()).isEqualTo(503);
        assertThat(rl.concurrentRequests()).isEqualTo(4);
        assertThat(rl.size()).isEqualTo(500);
        assertThat(rl.expire()).isEqualTo(Duration.ofSeconds(30));

        RouteConfig admin = web.routes().get(0);
        assertThat(admin.access().allow()).extracting(Cidr::text).containsExactly("127.0.0.1");
        RateLimitConfig routeLimit = admin.rateLimit().orElseThrow();
        assertThat(routeLimit.netmask()).isEqualTo(24);
        assertThat(routeLimit.netmask6()).isEqualTo(64);
        assertThat(routeLimit.burst()).as("default burst: the rate rounded up").isEqualTo(10);
        assertThat(routeLimit.status()).isEqualTo(429);
        assertThat(routeLimit.size()).isEqualTo(100_000);
        assertThat(routeLimit.key().kind()).isEqualTo(HashKey.Kind.SOURCE_IP);
        assertThat(web.routes().get(1).access()).isEqualTo(AccessRules.NONE);
        assertThat(web.routes().get(1).rateLimit()).isEmpty();

        RateLimitConfig db = c.frontends().get(1).rateLimit().orElseThrow();
        assertThat(db.connectionsPerSecond()).isEqualTo(2);
        assertThat(db.connectionsBurst()).isEqualTo(5);
        assertThat(db.concurrentConnections()).isEqualTo(3);
        assertThat(c.frontends().get(1).access()).isEqualTo(AccessRules.NONE);
        assertThat(c.frontends().get(2).access().deny()).hasSize(1);
        assertThat(c.frontends().get(2).access().allowList()).isFalse();
    }

    @Test
    void badNetworksAreReportedAtTheirList() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    backend: pool
                    allow: [10.0.0.0/8, example.com, 10.0.0.0/40]
                    deny: 10.0.0.1
                """ + POOL;
        assertThat(problems(yaml)).containsExactly(
                "ferry.yaml:5:12: frontends[0].allow: 'example.com' is not a network; write an address or "
                        + "ADDRESS/BITS, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or ::1 (no host names)",
                "ferry.yaml:5:12: frontends[0].allow: '10.0.0.0/40': the prefix length after '/' must be 0..32 for an "
                        + "IPv4 network",
                "ferry.yaml:6:11: frontends[0].deny: expected a list (lines starting with '- ' or [a, b]), found "
                        + "'10.0.0.1'");
    }

    @Test
    void aBadLineOfANetworkFileIsReportedWithThatFilesNameAndLine() throws Exception {
        Files.writeString(dir.resolve("blocked.nets"), "10.0.0.0/8\n# comment\n  300.1.1.1   # typo\n::1\n");
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    backend: pool
                    deny_file: blocked.nets
                    allow_file: missing.nets
                """ + POOL;
        assertThat(problems(yaml)).containsExactly(
                "blocked.nets:3:3: frontends[0].deny_file: '300.1.1.1' is not a network; write an address or "
                        + "ADDRESS/BITS, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or ::1 (no host names) (one "
                        + "network per line; # starts a comment)",
                "ferry.yaml:6:17: frontends[0].allow_file: cannot read the network file missing.nets: no such "
                        + "file; write a readable file with one network (e.g. 10.0.0.0/8) per line");
    }

    @Test
    void rateLimitValuesAreCheckedWithWhatIsAllowed() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    rate_limit:
                      key: uri
                      requests_per_second: fast
                      burst: 0
                      netmask: 33
                      status: 200
                      size: 0
                      expire: 0s
                      colour: red
                """ + POOL;
        assertThat(problems(yaml)).containsExactly(
                "ferry.yaml:7:12: frontends[0].rate_limit.key: 'uri' is not a rate-limit key; allowed: source_ip, "
                        + "header:NAME, cookie:NAME",
                "ferry.yaml:8:28: frontends[0].rate_limit.requests_per_second: expected a number of events per "
                        + "second such as 50 or 0.5, found 'fast'",
                "ferry.yaml:9:14: frontends[0].rate_limit.burst: 0 is out of range; allowed: 1 or more",
                "ferry.yaml:10:16: frontends[0].rate_limit.netmask: 33 is out of range; allowed: 0..32",
                "ferry.yaml:11:15: frontends[0].rate_limit.status: 200 is out of range; allowed: 400..599",
                "ferry.yaml:12:13: frontends[0].rate_limit.size: 0 is out of range; allowed: 1..10000000",
                "ferry.yaml:13:15: frontends[0].rate_limit.expire: must be at least 1s",
                "ferry.yaml:14:7: frontends[0].rate_limit.colour: unknown key 'colour'; allowed keys here: key, "
                        + "netmask, netmask6, requests_per_second, burst, connections_per_second, connections_burst, "
                        + "concurrent_connections, concurrent_requests, status, size, expire");
    }

    @Test
    void limitsThatDoNotApplyWhereTheyAreWrittenAreRefused() {
        String yaml = """
                frontends:
                  - name: db
                    listen: 127.0.0.1:0
                    backend: pool
                    rate_limit: { requests_per_second: 5, key: "header:X-A" }
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    rate_limit: { key: "cookie:sid", concurrent_connections: 5 }
                    routes:
                      - backend: pool
                        rate_limit: { connections_per_second: 5 }
                  - name: dns
                    listen: 127.0.0.1:0
                    mode: udp
                    backend: pool
                    rate_limit: { requests_per_second: 5 }
                  - name: empty
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    rate_limit: { key: source_ip }
                """ + POOL;
        assertThat(problems(yaml)).containsExactly(
                "ferry.yaml:5:19: frontends[0].rate_limit.requests_per_second: requests_per_second limits HTTP "
                        + "requests; it applies to http frontends and routes, not to a tcp frontend (use "
                        + "connections_per_second or concurrent_connections)",
                "ferry.yaml:5:48: frontends[0].rate_limit.key: a tcp frontend has no headers or cookies; allowed "
                        + "here: source_ip",
                "ferry.yaml:9:24: frontends[1].rate_limit.key: connection limits are checked at accept, before any "
                        + "header arrives: with connections_per_second or concurrent_connections the key must be "
                        + "source_ip",
                "ferry.yaml:12:23: frontends[1].routes[0].rate_limit.connections_per_second: connections_per_second "
                        + "limits connections, which are accepted before any route is chosen; write it in the "
                        + "frontend's rate_limit",
                "ferry.yaml:17:17: frontends[2].rate_limit: rate_limit applies to tcp and http frontends and to "
                        + "routes, not to udp frontends (use allow/deny there)",
                "ferry.yaml:22:17: frontends[3].rate_limit: rate_limit sets no limit; write requests_per_second, "
                        + "concurrent_requests, connections_per_second or concurrent_connections");
    }
}
