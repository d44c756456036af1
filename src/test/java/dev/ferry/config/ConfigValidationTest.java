package dev.ferry.config;

import dev.ferry.schedule.Schedulers;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Invalid files: each kind of mistake is reported with its exact line, column, key path and message, and all
 * mistakes of a file are reported together.
 */
class ConfigValidationTest {
    private static final String FILE = "conf/ferry.yaml";
    /** A valid backend section to append where a test only breaks a frontend. */
    private static final String POOL = """
            backends:
              - name: pool
                servers: [ { address: 127.0.0.1:9001 } ]
            """;

    private static List<ConfigProblem> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, Path.of(FILE), ConfigLoaderTest::knownSchedulers);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be refused:\n" + yaml);
    }

    private static ConfigProblem at(int line, int column, String key, String message) {
        return new ConfigProblem(FILE, line, column, key, message);
    }

    /** A problem on {@code line} of {@code yaml}, at the column where {@code token} first appears on that line. */
    private static ConfigProblem at(String yaml, int line, String token, String key, String message) {
        int index = yaml.lines().skip(line - 1).findFirst().orElseThrow().indexOf(token);
        assertThat(index).as("'%s' on line %d", token, line).isNotNegative();
        return at(line, index + 1, key, message);
    }

    @Test
    void unknownKeyIsReportedWithTheClosestAllowedKey() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mdoe: http
                    backend: pool
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 4, "mdoe", "frontends[0].mdoe", "unknown key 'mdoe'; did you mean 'mode'? "
                + "allowed keys here: name, listen, mode, tls, proxy_protocol, routes, backend, max_connections, "
                + "timeouts, udp, http, max_connection_age, max_connection_age_grace, request_headers, "
                + "response_headers, allow, deny, allow_file, deny_file, rate_limit, persistence"));
    }

    @Test
    void unknownKeyFarFromAnyAllowedKeyListsTheAllowedOnes() {
        String yaml = """
                colour: red
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 1, "colour", "colour",
                "unknown key 'colour'; allowed keys here: admin, frontends, backends, shutdown_grace, access_log, dns, "
                        + "directors, instance, config_source"));
    }

    @Test
    void duplicateKeyInOneMappingIsReported() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    backend: pool
                    name: web2
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 5, "name", "frontends[0].name",
                "duplicate key 'name'; it is already set on line 2"));
    }

    @Test
    void wrongTypesSayWhatWasExpectedAndWhatWasFound() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool, proxy_protocol: maybe } ]
                backends:
                  - name: pool
                    retries: [1]
                    servers: web1
                  - name: other
                    servers:
                      - { address: 127.0.0.1:9001, weight: heavy }
                      - just-a-string
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 1, "maybe", "frontends[0].proxy_protocol", "expected true or false, found 'maybe'"),
                at(yaml, 4, "[1]", "backends[0].retries", "expected a whole number, found a list"),
                at(yaml, 5, "web1", "backends[0].servers",
                        "expected a list (lines starting with '- ' or [a, b]), found 'web1'"),
                at(yaml, 8, "heavy", "backends[1].servers[0].weight", "expected a whole number, found 'heavy'"),
                at(yaml, 9, "just-a-string", "backends[1].servers[1]",
                        "expected a mapping (key: value lines or { key: value }), found 'just-a-string'"));
    }

    @Test
    void badDurationSaysWhichFormsAreAllowed() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    health_check:
                      interval: 5x
                      timeout: 30
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 6, "5x", "backends[0].health_check.interval",
                        "'5x' is not a duration; write a number and a unit (ms, s, m, h or d), e.g. 250ms, 2s, 1.5s, 1m, 1d"),
                at(yaml, 7, "30", "backends[0].health_check.timeout",
                        "'30' has no unit; write a number and a unit (ms, s, m, h or d), e.g. 250ms, 2s, 1.5s, 1m, 1d"));
    }

    @Test
    void zeroDurationIsRefusedWhereOnlyPositiveMakesSense() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    timeouts: { connect: 0s }
                """;

        assertThat(problems(yaml)).containsExactly(at(yaml, 5, "0s", "backends[0].timeouts.connect", "must be more than 0"));
    }

    @Test
    void badAddressesSayWhatAnAddressLooksLike() {
        String yaml = """
                frontends: [ { name: web, listen: "0.0.0.0:99999", backend: pool } ]
                backends:
                  - name: pool
                    servers:
                      - address: 10.0.0.1
                      - address: 10.0.0.2:0
                      - address: ::1:80
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 1, "\"0.0.0.0:99999\"", "frontends[0].listen", "port 99999 in '0.0.0.0:99999' is out of range; ports are 0..65535"),
                at(yaml, 5, "10.0.0.1", "backends[0].servers[0].address",
                        "'10.0.0.1' has no port; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80"),
                at(yaml, 6, "10.0.0.2:0", "backends[0].servers[1].address",
                        "port 0 in '10.0.0.2:0' is out of range; ports are 1..65535"),
                at(yaml, 7, "::1:80", "backends[0].servers[2].address",
                        "'::1:80' looks like an IPv6 address without brackets; write it as [::1]:80"));
    }

    @Test
    void duplicateNamesAreReportedAtTheSecondUse() {
        String yaml = """
                frontends:
                  - { name: web, listen: 127.0.0.1:0, backend: pool }
                  - { name: web, listen: 127.0.0.1:0, backend: pool }
                backends:
                  - name: pool
                    servers:
                      - { name: a, address: 127.0.0.1:9001 }
                      - { name: a, address: 127.0.0.1:9002 }
                      - { address: 127.0.0.1:9003 }
                      - { address: 127.0.0.1:9003 }
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 3, "web", "frontends[1].name", "duplicate frontend name 'web'; frontends[0].name (line 2) already uses it"),
                at(yaml, 8, "a,", "backends[0].servers[1].name",
                        "duplicate server name 'a' in this backend; backends[0].servers[0] already uses it"),
                at(yaml, 10, "127.0.0.1:9003", "backends[0].servers[3].address", "duplicate server name '127.0.0.1:9003' in this backend; "
                        + "backends[0].servers[2] already uses it (a server without name: is named by its address)"),
                at(yaml, 11, "pool", "backends[1].name", "duplicate backend name 'pool'; backends[0].name (line 5) already uses it"));
    }

    @Test
    void duplicateListenAddressesAreReportedAcrossFrontendsAndAdmin() {
        String yaml = """
                admin: { listen: 127.0.0.1:9090 }
                frontends:
                  - { name: a, listen: 0.0.0.0:8080, backend: pool }
                  - { name: b, listen: 127.0.0.1:8080, backend: pool }
                  - { name: c, listen: 127.0.0.1:8080, mode: udp, backend: pool }
                  - { name: d, listen: 127.0.0.1:9090, backend: pool }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 4, "127.0.0.1:8080", "frontends[1].listen", "127.0.0.1:8080 overlaps frontends[0].listen "
                        + "(line 3), which listens on 0.0.0.0:8080; each tcp address and port can be listened on once"),
                at(yaml, 6, "127.0.0.1:9090", "frontends[3].listen", "127.0.0.1:9090 is already used by admin.listen "
                        + "(line 1); each tcp address and port can be listened on once"));
    }

    @Test
    void referenceToAMissingBackendSuggestsTheClosestName() {
        String yaml = """
                frontends:
                  - { name: tcp, listen: 127.0.0.1:0, backend: pol }
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /api/ }, backend: nothing-like-it }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 2, "pol ", "frontends[0].backend", "no backend named 'pol'; did you mean 'pool'? backends defined: pool"),
                at(yaml, 7, "nothing-like-it", "frontends[1].routes[0].backend",
                        "no backend named 'nothing-like-it'; backends defined: pool"));
    }

    @Test
    void tcpAndUdpFrontendsNeedABackend() {
        String yaml = """
                frontends:
                  - { name: t, listen: 127.0.0.1:0 }
                  - { name: u, listen: 127.0.0.1:0, mode: udp }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 2, "{", "frontends[0].backend", "missing; a tcp frontend needs the backend it sends traffic to"),
                at(yaml, 3, "{", "frontends[1].backend", "missing; a udp frontend needs the backend it sends traffic to"));
    }

    @Test
    void httpFrontendNeedsRoutesOrABackend() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 2, "name", "frontends[0].routes",
                "missing; an http frontend needs routes:, a backend: for every request, or both"));
    }

    @Test
    void httpFrontendWithAnEmptyRouteListAndNoBackendIsRefused() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, mode: http, routes: [] } ]
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 1, "[]", "frontends[0].routes",
                "is empty; an http frontend needs routes:, a backend: for every request, or both"));
    }

    @Test
    void aMisspeltModeIsTheOnlyProblemReportedNotItsConsequences() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: htttp
                    routes: [ { backend: pool } ]
                """ + POOL + """
                    health_check: { type: htp, path: /healthz }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 4, "htttp", "frontends[0].mode",
                        "'htttp' is not allowed; did you mean 'http'? allowed: tcp, udp, http"),
                at(yaml, 9, "htp", "backends[0].health_check.type",
                        "'htp' is not allowed; did you mean 'http'? allowed: tcp, http, grpc, agent, redis, pgsql, mysql"));
    }

    @Test
    void routesOnATcpFrontendAreRefused() {
        String yaml = """
                frontends:
                  - name: t
                    listen: 127.0.0.1:0
                    backend: pool
                    routes:
                      - backend: pool
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 6, "-", "frontends[0].routes",
                "routes apply only to http frontends; a tcp frontend sends everything to its backend:"));
    }

    @Test
    void routeAfterACatchAllIsUnreachable() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - backend: pool
                      - { match: { path: /x }, backend: pool }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 7, "{", "frontends[0].routes[1]", "this route can never match: "
                + "frontends[0].routes[0] before it matches every request; put the route without match: last"));
    }

    @Test
    void weightsOutside0To65535AreRefused() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers:
                      - { address: 127.0.0.1:9001, weight: 70000 }
                      - { address: 127.0.0.1:9002, weight: -1 }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "70000", "backends[0].servers[0].weight", "70000 is out of range; allowed: 0..65535"),
                at(yaml, 6, "-1", "backends[0].servers[1].weight", "-1 is out of range; allowed: 0..65535"));
    }

    @Test
    void negativeMaxConnectionsAndRetriesAreRefused() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool, max_connections: -5 } ]
                backends:
                  - name: pool
                    retries: -1
                    servers: [ { address: 127.0.0.1:9001, max_connections: -2 } ]
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 1, "-5", "frontends[0].max_connections", "-5 is out of range; allowed: 0 or more"),
                at(yaml, 4, "-1", "backends[0].retries", "-1 is out of range; allowed: 0 or more"),
                at(yaml, 5, "-2", "backends[0].servers[0].max_connections", "-2 is out of range; allowed: 0 or more"));
    }

    @Test
    void backendWithoutServersIsRefused() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: a } ]
                backends:
                  - name: a
                    servers: []
                  - name: b
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 4, "[]", "backends[0].servers", "is empty; every backend needs at least one server"),
                at(yaml, 5, "name", "backends[1].servers", "missing; every backend needs at least one server, "
                        + "e.g. servers: [{ address: 10.0.0.11:80 }]"));
    }

    @Test
    void riseAndFallBelowOneAreRefused() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    health_check: { rise: 0, fall: -3 }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "0,", "backends[0].health_check.rise", "0 is out of range; allowed: 1 or more"),
                at(yaml, 5, "-3", "backends[0].health_check.fall", "-3 is out of range; allowed: 1 or more"));
    }

    @Test
    void upstreamProtocolsAreCheckedAndHttp2RefusesAProxyHeader() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, mode: http, backend: pool } ]
                backends:
                  - name: pool
                    protocol: h2c
                    http2: { max_connections: 0 }
                    servers:
                      - { address: 127.0.0.1:9001, send_proxy: v2 }
                      - { address: 127.0.0.1:9002, protocol: h2 }
                      - { address: 127.0.0.1:9003, protocol: http/1.1, send_proxy: v1 }
                      - { address: 127.0.0.1:9004, protocol: h3 }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "0", "backends[0].http2.max_connections", "0 is out of range; allowed: 1..1024"),
                at(yaml, 7, "v2", "backends[0].servers[0].send_proxy", "a PROXY header speaks for one client, and an "
                        + "HTTP/2 connection (protocol: h2c) carries the requests of many; drop send_proxy or use "
                        + "protocol: http/1.1"),
                at(yaml, 8, "h2", "backends[0].servers[1].protocol", H2_NEEDS_TLS),
                at(yaml, 10, "h3", "backends[0].servers[3].protocol",
                        "'h3' is not allowed; did you mean 'h2'? allowed: http/1.1, h2, h2c"));
    }

    private static final String H2_NEEDS_TLS = "h2 is HTTP/2 over TLS (chosen by ALPN) and this server has no "
            + "tls:; add tls: to the backend or the server (tls: {} trusts the JDK's certificate authorities), or use "
            + "h2c (HTTP/2 over plain TCP by prior knowledge)";

    @Test
    void tlsToServersIsCheckedAndH2NeedsItWhileH2cRefusesIt() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, mode: http, backend: pool } ]
                backends:
                  - name: pool
                    protocol: h2
                    tls: { verify: false, ca: certs/ca.pem, min_version: TLSv1.1, sni: 10.0.0.1 }
                    servers:
                      - { address: 127.0.0.1:9001 }
                      - { address: 127.0.0.1:9002, protocol: h2c }
                      - { address: 127.0.0.1:9003, tls: { client_cert: { cert: c.pem } } }
                      - { address: 127.0.0.1:9004, tls: { sni: "bad name!", verfy: true } }
                  - name: plain
                    protocol: h2
                    servers: [ { address: 127.0.0.1:9005 }, { address: 127.0.0.1:9006 } ]
                  - name: mixed
                    servers: [ { address: 127.0.0.1:9007, protocol: h2, tls: {} } ]
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "certs", "backends[0].tls.ca", "ca: is used only to verify the server's certificate, "
                        + "and verify: false turns that off; drop one of them"),
                at(yaml, 5, "TLSv1.1", "backends[0].tls.min_version",
                        "'TLSv1.1' is not allowed; allowed: TLSv1.2, TLSv1.3"),
                at(yaml, 5, "10.0.0.1", "backends[0].tls.sni", "'10.0.0.1' is an IP address, and SNI carries only DNS "
                        + "names (RFC 6066); leave sni: out to check the server's certificate against its IP address"),
                at(yaml, 8, "h2c", "backends[0].servers[1].protocol", "h2c is HTTP/2 over plain TCP, and this server "
                        + "has tls:; for HTTP/2 over TLS write protocol: h2"),
                at(yaml, 9, "{ cert", "backends[0].servers[2].tls.client_cert.key", "missing; write the PEM private "
                        + "key file of that certificate, e.g. key: certs/ferry-client.key"),
                at(yaml, 10, "\"bad", "backends[0].servers[3].tls.sni",
                        "'bad name!' is not a DNS name; write a name such as api.example.com"),
                at(yaml, 10, "verfy", "backends[0].servers[3].tls.verfy",
                        "unknown key 'verfy'; did you mean 'verify'? allowed keys here: verify, ca, sni, client_cert, "
                                + "min_version"),
                at(yaml, 12, "h2", "backends[1].protocol", H2_NEEDS_TLS));
    }

    @Test
    void enumValuesListWhatIsAllowed() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, mode: htp, backend: pool } ]
                backends:
                  - name: pool
                    hash_key: header
                    servers: [ { address: 127.0.0.1:9001, send_proxy: v3 } ]
                    health_check: { type: icmp }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 1, "htp", "frontends[0].mode", "'htp' is not allowed; did you mean 'http'? allowed: tcp, udp, http"),
                at(yaml, 4, "header", "backends[0].hash_key",
                        "unknown hash_key 'header'; allowed: source_ip, source_ip_port, uri, header:NAME, cookie:NAME"),
                at(yaml, 5, "v3", "backends[0].servers[0].send_proxy", "'v3' is not allowed; did you mean 'v1'? allowed: v1, v2"),
                at(yaml, 6, "icmp", "backends[0].health_check.type", "'icmp' is not allowed; allowed: tcp, http, grpc, agent, redis, pgsql, mysql"));
    }

    @Test
    void httpOnlyHealthCheckKeysOnATcpCheckAreRefused() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    health_check: { type: tcp, path: /healthz }
                """;

        assertThat(problems(yaml)).containsExactly(at(yaml, 5, "/healthz", "backends[0].health_check.path",
                "path applies only to type http; this check is type tcp"));
    }

    @Test
    void emptyFileIsOneProblem() {
        assertThat(problems("")).containsExactly(new ConfigProblem(FILE, 0, 0, "",
                "the file is empty; it needs at least frontends: and backends:"));
        assertThat(problems("# only a comment\n\n")).containsExactly(new ConfigProblem(FILE, 0, 0, "",
                "the file is empty; it needs at least frontends: and backends:"));
    }

    @Test
    void yamlSyntaxErrorCarriesTheParsersPosition() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                   backend: pool
                """;

        assertThat(problems(yaml)).containsExactly(at(yaml, 4, "backend", "",
                "YAML syntax error: expected <block end>, but found '<block mapping start>' "
                        + "(while parsing a block collection at line 2, column 3)"));
    }

    @Test
    void topLevelThatIsNotAMappingIsRefused() {
        assertThat(problems("- frontends\n")).containsExactly(at(1, 1, "",
                "expected a mapping (key: value lines or { key: value }), found a list"));
    }

    @Test
    void unknownSchedulerIsReportedWithTheRegistrysValidNames() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    scheduler: no-such-scheduler-xyz
                    servers: [ { address: 127.0.0.1:9001 } ]
                """;

        assertThatThrownBy(() -> ConfigLoader.parse(yaml, Path.of(FILE)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        at(yaml, 4, "no-such", "backends[0].scheduler", "unknown scheduler 'no-such-scheduler-xyz'; valid ones are: "
                                + String.join(", ", Schedulers.names()))));
    }

    @Test
    void schedulerOptionProblemsFromTheRegistryArePlacedAtTheOption() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    scheduler: { name: mh, table_size: 12 }
                    servers: [ { address: 127.0.0.1:9001 } ]
                """;
        List<String> registrySays = Schedulers.problems(new SchedulerConfig("mh", Map.of("table_size", "12")));

        assertThat(registrySays).isNotEmpty();
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, Path.of(FILE)))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyElementsOf(
                        registrySays.stream().map(m -> at(yaml, 4, "12", "backends[0].scheduler.table_size", m))
                                .toList()));
    }

    @Test
    void schedulerMappingNeedsAName() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    scheduler: { table_size: 7 }
                    servers: [ { address: 127.0.0.1:9001 } ]
                """;

        assertThat(problems(yaml)).containsExactly(at(yaml, 4, "{", "backends[0].scheduler.name",
                "missing; a scheduler written as a mapping needs name:, e.g. { name: mh, table_size: 65521 }"));
    }

    @Test
    void keyWithoutValueIsReportedAsFindingNothing() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    retries:
                    servers: [ { address: 127.0.0.1:9001 } ]
                """;

        assertThat(problems(yaml)).containsExactly(at(yaml, 4, "retries", "backends[0].retries",
                "expected a whole number, found nothing"));
    }

    @Test
    void sectionWithoutValueIsReportedAtItsKey() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    health_check:
                    servers:
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 4, "health_check", "backends[0].health_check",
                        "expected a mapping (key: value lines or { key: value }), found nothing"),
                at(yaml, 5, "servers", "backends[0].servers",
                        "expected a list (lines starting with '- ' or [a, b]), found nothing"));
    }

    @Test
    void missingSectionsAndRequiredKeysArePlacedAtTheirMapping() {
        String yaml = """
                admin: { token_file: t }
                frontends:
                  - mode: tcp
                backends:
                  - servers: [ { weight: 2 } ]
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 1, "{", "admin.listen",
                        "missing; the admin API needs an address to listen on, e.g. 127.0.0.1:9090"),
                at(yaml, 3, "mode", "frontends[0].name", "missing; every frontend needs a unique name"),
                at(yaml, 3, "mode", "frontends[0].listen",
                        "missing; every frontend needs an address to listen on, e.g. 0.0.0.0:8080"),
                at(yaml, 3, "mode", "frontends[0].backend",
                        "missing; a tcp frontend needs the backend it sends traffic to"),
                at(yaml, 5, "servers", "backends[0].name", "missing; every backend needs a unique name"),
                at(yaml, 5, "{ weight", "backends[0].servers[0].address",
                        "missing; every server needs the address to connect to, e.g. 10.0.0.11:80"));
    }

    @Test
    void aFileWithoutFrontendsIsRefused() {
        String yaml = POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 1, "backends", "frontends",
                "missing; a configuration needs something to serve: at least one frontend (where traffic enters)"
                        + ", a dns: responder or a director"));
        String empty = "frontends: []\n" + POOL;
        assertThat(problems(empty)).containsExactly(at(empty, 1, "[]", "frontends",
                "is empty; a configuration needs something to serve: at least one frontend (where traffic enters)"
                        + ", a dns: responder or a director"));
    }

    @Test
    void modeSpecificKeysOnTheWrongModeAreRefused() {
        String yaml = """
                frontends:
                  - name: u
                    listen: 127.0.0.1:0
                    mode: udp
                    backend: pool
                    proxy_protocol: true
                    tls: { certificates: [ { cert: c.pem, key: c.key } ] }
                  - { name: t, listen: 127.0.0.1:0, backend: pool, udp: { per_datagram: true } }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 6, "true", "frontends[0].proxy_protocol",
                        "proxy_protocol applies only to tcp and http frontends"),
                at(yaml, 7, "{", "frontends[0].tls", "tls applies only to tcp and http frontends"),
                at(yaml, 8, "{ per", "frontends[1].udp", "udp: options apply only to udp frontends"));
    }

    @Test
    void tlsNeedsCertificateAndKey() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    backend: pool
                    tls: { certificates: [ { cert: site.pem } ] }
                  - { name: web2, listen: 127.0.0.1:0, backend: pool, tls: { certificates: [] } }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "{ cert: ", "frontends[0].tls.certificates[0].key",
                        "missing; write the PEM private key file, e.g. key: certs/site.key"),
                at(yaml, 6, "[]", "frontends[1].tls.certificates",
                        "is empty; tls needs at least one { cert: FILE, key: FILE }"));
    }

    @Test
    void tlsPolicyKeysAreChecked() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    tls:
                      certificates: [ { cert: c.pem, key: c.key } ]
                      min_version: TLSv1.1
                      ciphers: [TLS_AES_128_GCM_SHA256, "A:B"]
                      ciphersuites: [TLS_RSA_WITH_AES_128_CBC_SHA]
                      groups: []
                      session_tickets: false
                      ticket_key_rotation: 1h
                      client_auth: optonal
                      ca: ca.pem
                  - name: tcp
                    listen: 127.0.0.1:0
                    backend: pool
                    tls:
                      certificates: [ { cert: c.pem, key: c.key } ]
                      min_version: TLSv1.3
                      ciphers: [ECDHE-RSA-AES128-GCM-SHA256]
                      client_auth: required
                      ticket_keys: t.keys
                      ticket_key_rotation: 1s
                      client_cert_headers: { subject: "bad name" }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 8, "TLSv1.1", "frontends[0].tls.min_version", "'TLSv1.1' is refused: TLS 1.0 and 1.1 (and "
                        + "SSL) are deprecated by RFC 8996 and Ferry does not speak them; allowed: TLSv1.2 (the "
                        + "default: TLS 1.2 and 1.3) or TLSv1.3 (1.3 only)"),
                at(yaml, 9, "[", "frontends[0].tls.ciphers", "'TLS_AES_128_GCM_SHA256' is a TLS 1.3 suite; ciphers "
                        + "lists TLS 1.2 suites, TLS 1.3 ones go in ciphersuites"),
                at(yaml, 9, "[", "frontends[0].tls.ciphers", "'A:B' holds several names; write one suite per list "
                        + "item, e.g. [ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256]"),
                at(yaml, 10, "[", "frontends[0].tls.ciphersuites", "'TLS_RSA_WITH_AES_128_CBC_SHA' is not a TLS 1.3 "
                        + "suite; allowed: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
                        + "TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256 (TLS 1.2 "
                        + "suites go in ciphers)"),
                at(yaml, 11, "[]", "frontends[0].tls.groups", "is empty; leave groups out for the defaults, or list "
                        + "at least one"),
                at(yaml, 13, "1h", "frontends[0].tls.ticket_key_rotation", "ticket_key_rotation has no use with "
                        + "session_tickets: false; remove one of them"),
                at(yaml, 14, "optonal", "frontends[0].tls.client_auth", "'optonal' is not allowed; did you mean "
                        + "'optional'? allowed: none, optional, required"),
                at(yaml, 15, "ca.pem", "frontends[0].tls.ca", "ca is the CAs of client certificates, which are asked "
                        + "for only with client_auth: optional or required; set client_auth or remove ca"),
                at(yaml, 20, "certificates", "frontends[1].tls.ca", "missing; client_auth: required needs the CA "
                        + "certificates that client certificates must chain to, e.g. ca: certs/clients-ca.pem"),
                at(yaml, 22, "[", "frontends[1].tls.ciphers", "ciphers are TLS 1.2 suites, and min_version TLSv1.3 "
                        + "takes no TLS 1.2 client; remove ciphers (TLS 1.3 suites go in ciphersuites)"),
                at(yaml, 25, "1s", "frontends[1].tls.ticket_key_rotation", "must be at least 1m"),
                at(yaml, 25, "1s", "frontends[1].tls.ticket_key_rotation", "ticket_keys are rotated by whoever "
                        + "writes the file (add a new first line and reload); ticket_key_rotation is for the keys "
                        + "Ferry makes itself; keep one of them"),
                at(yaml, 26, "{", "frontends[1].tls.client_cert_headers", "client_cert_headers applies only to http "
                        + "frontends (a tcp frontend relays bytes and adds no header)"),
                at(yaml, 26, "\"bad", "frontends[1].tls.client_cert_headers.subject", "'bad name' is not a header "
                        + "name (letters, digits and !#$%&'*+.^_`|~- only)"));
    }

    @Test
    void routeConditionsAreChecked() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - match:
                          path_prefix: v1
                          path_regex: "(unclosed"
                          methods: [GET, "NOT A METHOD"]
                          headers: { "Bad Header": x }
                          hots: example.com
                      - match: { host: "bad host" }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 6, "match", "frontends[0].routes[0].backend",
                        "missing; every route names the backend its requests go to, or answers itself with "
                                + "redirect: or return:"),
                at(yaml, 7, "v1", "frontends[0].routes[0].match.path_prefix", "'v1' is not a path; paths start with '/'"),
                at(yaml, 8, "\"(unclosed\"", "frontends[0].routes[0].match.path_regex",
                        "'(unclosed' is not a valid regular expression: Unclosed group near index 9"),
                at(yaml, 9, "[GET", "frontends[0].routes[0].match.methods",
                        "'NOT A METHOD' is not an HTTP method name; write names such as GET, POST"),
                at(yaml, 10, "{", "frontends[0].routes[0].match.headers",
                        "'Bad Header' is not an HTTP header name; names are letters, digits and - (e.g. X-Canary)"),
                at(yaml, 11, "hots", "frontends[0].routes[0].match.hots", "unknown key 'hots'; did you mean 'host'? "
                        + "allowed keys here: host, path_prefix, path, path_regex, methods, headers, query"),
                at(yaml, 12, "match", "frontends[0].routes[1].backend",
                        "missing; every route names the backend its requests go to, or answers itself with "
                                + "redirect: or return:"),
                at(yaml, 12, "\"bad host\"", "frontends[0].routes[1].match.host",
                        "'bad host' is not a host; write a name such as api.example.com, or *.example.com for subdomains"));
    }

    @Test
    void routeActionsAreChecked() {
        String yaml = """
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /a/ }, backend: pool, redirect: { scheme: https } }
                      - { match: { path: /b }, redirect: { code: 300, prefix: /x/ } }
                      - { match: { path: /c }, return: { status: 700 } }
                      - { match: { path: /d }, return: { body: hi } }
                      - match: { path: /e }
                        backend: pool
                        request_headers:
                          set: { Content-Length: "5", X-Id: $requestid }
                          remove: [Host]
                        response_headers: { add: { X-A: "${server" } }
                        path: { strip_prefix: /e, replace_prefix: { to: /f } }
                      - { match: { path: /g }, redirect: {}, request_headers: { set: { X-A: b } } }
                      - { match: { path: /h } }
                      - { match: { path: /i }, backend: pool, path: { replace_prefix: { to: /f } } }
                      - { match: { path: /j }, backend: pool, path: { regex_replace: { pattern: "^/j(.*)", substitution: "/k$2" } } }
                      - { match: { path: /k }, return: { status: 204, body: x, content_type: "a\\tb " } }
                      - { match: { path: /l }, redirect: { host: "a b", port: 0, path: nope } }
                """ + POOL;
        String forbidden = " may not be rewritten: Ferry keeps the fields that frame the message or speak for the "
                + "connection, and Host (not allowed: connection, content-length, host, keep-alive, proxy-connection, "
                + "te, trailer, transfer-encoding, upgrade)";

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 6, "redirect", "frontends[0].routes[0].redirect",
                        "a route has exactly one of backend:, redirect: and return:; this one has backend and redirect"),
                at(yaml, 7, "300", "frontends[0].routes[1].redirect.code",
                        "'300' is not allowed; did you mean '301'? allowed: 301, 302, 303, 307, 308"),
                at(yaml, 7, "prefix", "frontends[0].routes[1].redirect.prefix", "prefix: replaces the route's "
                        + "match.path_prefix, and this route has none; add one or write path:"),
                at(yaml, 8, "700", "frontends[0].routes[2].return.status", "700 is out of range; allowed: 200..599"),
                at(yaml, 9, "{ body", "frontends[0].routes[3].return.status",
                        "missing; a fixed answer needs its status (200..599)"),
                at(yaml, 13, "Content-Length", "frontends[0].routes[4].request_headers.set.Content-Length",
                        "'Content-Length'" + forbidden),
                at(yaml, 13, "$requestid", "frontends[0].routes[4].request_headers.set.X-Id",
                        "unknown variable '$requestid'; did you mean '$request_id'? allowed: $request_id, $server, "
                                + "$backend, $frontend, $client_ip, $client_port, $host, $scheme, $method, $uri"),
                at(yaml, 14, "[Host]", "frontends[0].routes[4].request_headers.remove", "'Host'" + forbidden),
                at(yaml, 15, "\"${server\"", "frontends[0].routes[4].response_headers.add.X-A",
                        "'${server': '${' is not closed; write ${name}"),
                at(yaml, 16, "replace_prefix", "frontends[0].routes[4].path.replace_prefix", "path: takes one of "
                        + "strip_prefix, replace_prefix, regex_replace; this one has strip_prefix and replace_prefix"),
                at(yaml, 17, "{}", "frontends[0].routes[5].redirect", "this redirect changes nothing of the "
                        + "request's URL and would send clients back here forever; give scheme, host, port, path, "
                        + "prefix or strip_query"),
                at(yaml, 17, "request_headers", "frontends[0].routes[5].request_headers", "request_headers applies "
                        + "to requests sent to a backend; this route answers itself with redirect: (response_headers "
                        + "apply to its answers)"),
                at(yaml, 18, "{ match", "frontends[0].routes[6].backend", "missing; every route names the backend "
                        + "its requests go to, or answers itself with redirect: or return:"),
                at(yaml, 19, "{ to", "frontends[0].routes[7].path.replace_prefix.from", "missing; without from: the "
                        + "route's match.path_prefix is replaced, and this route has none"),
                at(yaml, 20, "\"/k$2\"", "frontends[0].routes[8].path.regex_replace.substitution",
                        "'$2' names no group of the pattern '^/j(.*)' (it has 1)"),
                at(yaml, 21, "x,", "frontends[0].routes[9].return.body",
                        "a 204 answer has no body (RFC 9110 15.3.5, 15.4.5); remove body:"),
                at(yaml, 21, "\"a\\tb \"", "frontends[0].routes[9].return.content_type",
                        "'a\tb ' starts or ends with white space, which a header value cannot keep (RFC 9110 5.5)"),
                at(yaml, 22, "\"a b\"", "frontends[0].routes[10].redirect.host", "'a b' is not a host; write a name "
                        + "such as www.example.com or an address (IPv6 in brackets), without a port (that is port:)"),
                at(yaml, 22, "0,", "frontends[0].routes[10].redirect.port", "0 is out of range; allowed: 1..65535"),
                at(yaml, 22, "nope", "frontends[0].routes[10].redirect.path",
                        "'nope' is not a path; paths start with '/' and hold no spaces, '?' or '#'"));
    }

    @Test
    void frontendHeaderRulesAreCheckedAndOnlyForHttp() {
        String yaml = """
                frontends:
                  - name: db
                    listen: 127.0.0.1:0
                    backend: pool
                    request_headers: { set: { X-A: b } }
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    response_headers: { remove: [Transfer-Encoding], add: { X-B: $nope } }
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "{", "frontends[0].request_headers", "request_headers applies only to http frontends"),
                at(yaml, 10, "[Transfer", "frontends[1].response_headers.remove", "'Transfer-Encoding' may not be "
                        + "rewritten: Ferry keeps the fields that frame the message or speak for the connection, and "
                        + "Host (not allowed: connection, content-length, host, keep-alive, proxy-connection, te, "
                        + "trailer, transfer-encoding, upgrade)"),
                at(yaml, 10, "$nope", "frontends[1].response_headers.add.X-B", "unknown variable '$nope'; allowed: "
                        + "$request_id, $server, $backend, $frontend, $client_ip, $client_port, $host, $scheme, "
                        + "$method, $uri"));
    }

    @Test
    void healthCheckStatusRangeAndKeepaliveSecondsAreChecked() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    health_check: { type: http, expect_status: 399-200 }
                    tcp_keepalive: { idle: 1500ms, count: 500 }
                    outlier: { max_ejected_percent: 101 }
                    feedback: { agent_port: 0 }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "399-200", "backends[0].health_check.expect_status", "'399-200' is not a status range; "
                        + "write one status (200) or LOW-HIGH (200-399) with 100 <= LOW <= HIGH <= 599"),
                at(yaml, 6, "1500ms", "backends[0].tcp_keepalive.idle",
                        "1500ms is not allowed; TCP keepalive takes whole seconds from 1s to 32767s"),
                at(yaml, 6, "500 }", "backends[0].tcp_keepalive.count", "500 is out of range; allowed: 1..127"),
                at(yaml, 7, "101", "backends[0].outlier.max_ejected_percent", "101 is out of range; allowed: 0..100"),
                at(yaml, 8, "0", "backends[0].feedback.agent_port", "0 is out of range; allowed: 1..65535"));
    }

    @Test
    void namesThatCannotAppearInAdminPathsAreRefused() {
        String yaml = """
                frontends: [ { name: "a/b", listen: 127.0.0.1:0, backend: pool } ]
                """ + POOL;

        assertThat(problems(yaml)).containsExactly(at(yaml, 1, "\"a/b\"", "frontends[0].name",
                "'a/b' is not a usable name; names must be non-empty without '/' or spaces "
                        + "(they appear in admin API paths and metric labels)"));
    }

    @Test
    void mergingAMappingIntoItselfIsReportedNotLoopedOn() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - &self
                    name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    <<: *self
                """;

        assertThat(problems(yaml)).containsExactly(at(yaml, 3, "&self", "backends[0]",
                "'<<' merges a mapping into itself"));
    }

    @Test
    void aliasBombIsStoppedByTheParsersLimit() {
        StringBuilder yaml = new StringBuilder("frontends:\n  - &f { name: web, listen: 127.0.0.1:0, backend: pool }\n");
        for (int i = 0; i < 60; i++) {
            yaml.append("  - *f\n");
        }

        assertThat(problems(yaml.toString())).singleElement().satisfies(p -> {
            assertThat(p.line()).isZero();
            assertThat(p.message()).isEqualTo(
                    "YAML error: Number of aliases for non-scalar nodes exceeds the specified max=50");
        });
    }

    @Test
    void everyProblemOfAFileIsReportedAtOnceInFileOrder() {
        List<ConfigProblem> found = problems("""
                frontends:
                  - name: web
                    listen: 127.0.0.1
                    mode: http
                    routes:
                      - { match: { path_prefix: v1 }, backend: ap }
                backends:
                  - name: api
                    scheduler: wlc
                    servers:
                      - { address: 10.0.0.1:80, weight: 100000 }
                    health_check: { interval: soon }
                    retries: -1
                """);

        assertThat(found).extracting(ConfigProblem::line, ConfigProblem::key).containsExactly(
                org.assertj.core.groups.Tuple.tuple(3, "frontends[0].listen"),
                org.assertj.core.groups.Tuple.tuple(6, "frontends[0].routes[0].match.path_prefix"),
                org.assertj.core.groups.Tuple.tuple(6, "frontends[0].routes[0].backend"),
                org.assertj.core.groups.Tuple.tuple(11, "backends[0].servers[0].weight"),
                org.assertj.core.groups.Tuple.tuple(12, "backends[0].health_check.interval"),
                org.assertj.core.groups.Tuple.tuple(13, "backends[0].retries"));
        assertThat(found.get(2).message()).isEqualTo("no backend named 'ap'; did you mean 'api'? backends defined: api");
    }

    @Test
    void problemsPrintAsFileLineColumnKeyMessage() {
        assertThat(at(5, 46, "backends[0].servers[0].weight", "70000 is out of range; allowed: 0..65535").toString())
                .isEqualTo("conf/ferry.yaml:5:46: backends[0].servers[0].weight: 70000 is out of range; allowed: 0..65535");
    }

    @Test
    void feedbackCoefficientsMustBeSharesThatAddUpToOne() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: a } ]
                backends:
                  - name: a
                    servers: [ { address: 127.0.0.1:9001 } ]
                    feedback: { coefficients: { cpu: 0.5, response: 0.4 } }
                  - name: b
                    servers: [ { address: 127.0.0.1:9002 } ]
                    feedback: { coefficients: { cpu: 1.5, memry: 0.1, input: lots } }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "{ cpu", "backends[0].feedback.coefficients",
                        "the coefficients add up to 0.9; they must add up to 1 (a coefficient left out counts as 0)"),
                at(yaml, 8, "1.5", "backends[1].feedback.coefficients.cpu", "1.5 is out of range; allowed: 0..1"),
                at(yaml, 8, "memry", "backends[1].feedback.coefficients.memry", "unknown key 'memry'; did you mean "
                        + "'memory'? allowed keys here: input, cpu, disk, memory, process, response"),
                at(yaml, 8, "lots", "backends[1].feedback.coefficients.input",
                        "expected a number from 0 to 1 such as 0.3, found 'lots'"));
    }

    /** The problems of an instance's local file (config_source:), read from a temporary file. */
    private static List<ConfigProblem> localProblems(String yaml) throws java.io.IOException {
        Path file = java.nio.file.Files.createTempFile("local", ".yaml");
        try {
            java.nio.file.Files.writeString(file, yaml);
            ConfigLoader.loadLocal(file);
        } catch (ConfigException e) {
            return e.problems().stream().map(p -> new ConfigProblem(FILE, p.line(), p.column(), p.key(), p.message()))
                    .toList();
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
        throw new AssertionError("expected the local file to be refused:\n" + yaml);
    }

    private static String durationProblem(String text, java.time.Duration min) {
        try {
            Durations.parse(text, min);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError(text + " is a valid duration");
    }

    @Test
    void aLocalFileRefusesTheSharedKeysAndBadEtcdSettingsEachAtItsKey() throws Exception {
        String yaml = """
                instance: edge/1
                config_source:
                  etcd:
                    endpoints: [ "10.0.0.5:2379", "http://10.0.0.6:2379/v3" ]
                    prefix: ferry
                    username: ferry
                    dial_timeout: 10ms
                    lease_ttl: 2.5s
                    tls: { cert: /nonexistent/c.pem }
                backends: []
                """;
        assertThat(localProblems(yaml)).containsExactly(
                at(yaml, 1, "edge/1", "instance", "'edge/1' is not a usable name; names must be non-empty without "
                        + "'/' or spaces (they appear in admin API paths and metric labels)"),
                at(yaml, 4, "[", "config_source.etcd.endpoints", "'10.0.0.5:2379' is not an etcd URL; write "
                        + "http://HOST:PORT or https://HOST:PORT (no path)"),
                at(yaml, 4, "[", "config_source.etcd.endpoints", "'http://10.0.0.6:2379/v3' is not an etcd URL; "
                        + "write http://HOST:PORT or https://HOST:PORT (no path)"),
                at(yaml, 5, "ferry", "config_source.etcd.prefix", "'ferry' is not a usable prefix; it must start and "
                        + "end with '/' and have no spaces, e.g. /ferry/ or /ferry/site-a/"),
                at(yaml, 6, "ferry", "config_source.etcd.username",
                        "username and password go together; set both or neither"),
                at(yaml, 7, "10ms", "config_source.etcd.dial_timeout", durationProblem("10ms",
                        java.time.Duration.ofMillis(100))),
                at(yaml, 8, "2.5s", "config_source.etcd.lease_ttl", "etcd leases count whole seconds; write e.g. 10s"),
                at(yaml, 9, "{", "config_source.etcd.tls.key", "cert and key go together; set both or neither"),
                at(yaml, 9, "/nonexistent", "config_source.etcd.tls.cert",
                        "cannot read /nonexistent/c.pem: no such file or permission denied"),
                at(yaml, 10, "backends", "backends", "is not allowed in an instance's local file (it has "
                        + "config_source:): the shared configuration comes from etcd; write it there with 'ferry "
                        + "config push'. Allowed here: instance, admin, config_source"));
    }

    @Test
    void aLocalFileTakesItsDefaults() throws Exception {
        Path file = java.nio.file.Files.createTempFile("local", ".yaml");
        try {
            java.nio.file.Files.writeString(file, "config_source: { etcd: {} }\n");
            LocalConfig local = ConfigLoader.loadLocal(file);
            assertThat(local.etcd()).isEqualTo(EtcdSourceConfig.of(EtcdSourceConfig.DEFAULT_ENDPOINTS, "/ferry/"));
            assertThat(local.instance()).isNotEmpty();
            assertThat(local.admin()).isEmpty();
            assertThat(ConfigLoader.isLocal(file)).isTrue();
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void theSharedConfigurationMayNotNameAnInstanceOrAConfigSource() {
        String yaml = """
                instance: edge-1
                config_source: { etcd: {} }
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: pool } ]
                """ + POOL;
        assertThat(problems(yaml)).containsExactly(
                at(1, 1, "instance", "belongs in an instance's local file, next to config_source:"),
                at(2, 1, "config_source", "makes this an instance's local file, which may hold only instance, admin, "
                        + "config_source (the shared configuration lives in etcd)"));
    }

    @Test
    void aDirectorsIoIsUringOrSyscalls() {
        String yaml = """
                backends: [ { name: web, scheduler: rr, servers: [ { address: 10.101.0.11:80 } ] } ]
                directors:
                  - name: lvs1
                    io: epoll
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """;

        assertThat(problems(yaml)).containsExactly(at(yaml, 4, "epoll", "directors[0].io",
                "'epoll' is not allowed; allowed: uring, syscalls"));
    }

    @Test
    void sloppyTcpIsForTcpServicesAndTakesTrueOrFalse() {
        String yaml = """
                backends: [ { name: dns, scheduler: mh, servers: [ { address: 10.101.0.11:53 } ] } ]
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:53, protocol: udp, backend: dns, sloppy_tcp: true }
                      - { vip: 10.200.0.100:53, backend: dns, sloppy_tcp: maybe }
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 5, "true", "directors[0].services[0].sloppy_tcp", "applies to tcp services only (a UDP "
                        + "datagram always starts a connection); allowed here: false"),
                at(yaml, 6, "maybe", "directors[0].services[1].sloppy_tcp", "expected true or false, found 'maybe'"));
    }

    @Test
    void queueSizeAndTimeoutAreBoundedAndAQueueNeedsServersWithMaxConnections() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: a } ]
                backends:
                  - name: a
                    queue: { size: 0, timeout: 0s }
                    servers: [ { address: 127.0.0.1:9001, max_connections: 10 } ]
                  - name: b
                    queue: { size: 2000000, timeout: 2h, sise: 3 }
                    servers: [ { address: 127.0.0.1:9002, max_connections: 10 } ]
                  - name: c
                    queue: { size: 10 }
                    servers: [ { address: 127.0.0.1:9003 }, { address: 127.0.0.1:9004 } ]
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 4, "0,", "backends[0].queue.size", "0 is out of range; allowed: 1..1000000"),
                at(yaml, 4, "0s", "backends[0].queue.timeout", "must be more than 0"),
                at(yaml, 7, "2000000", "backends[1].queue.size", "2000000 is out of range; allowed: 1..1000000"),
                at(yaml, 7, "2h", "backends[1].queue.timeout", "2h is too long; allowed: 1ms to 1h"),
                at(yaml, 7, "sise", "backends[1].queue.sise", "unknown key 'sise'; did you mean 'size'? "
                        + "allowed keys here: size, timeout"),
                at(yaml, 10, "{ size", "backends[2].queue", "waits only for servers at their max_connections, and no "
                        + "server of this backend sets one; give the servers max_connections (e.g. max_connections: "
                        + "100) or remove queue:"));
    }

    @Test
    void backupIsABooleanAndAllbackupsNeedsABackupServer() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: a } ]
                backends:
                  - name: a
                    allbackups: true
                    servers: [ { address: 127.0.0.1:9001 } ]
                  - name: b
                    allbackups: sometimes
                    servers: [ { address: 127.0.0.1:9002 }, { address: 127.0.0.1:9003, backup: maybe } ]
                """;

        assertThat(problems(yaml)).containsExactly(
                at(yaml, 4, "true", "backends[0].allbackups",
                        "applies only to backends with backup servers (backup: true on a server)"),
                at(yaml, 7, "sometimes", "backends[1].allbackups", "expected true or false, found 'sometimes'"),
                at(yaml, 8, "maybe", "backends[1].servers[1].backup", "expected true or false, found 'maybe'"));
    }

    @Test
    void stickyCookieMistakesAreReportedAtTheirKeys() throws Exception {
        Path shortSecret = java.nio.file.Files.createTempFile("sticky", ".key");
        java.nio.file.Files.writeString(shortSecret, "tooshort\n");
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, mode: http, backend: a } ]
                backends:
                  - name: a
                    servers: [ { address: 127.0.0.1:9001 } ]
                    sticky: { mode: insret, samesite: none, max_age: 1500ms }
                  - name: b
                    servers: [ { address: 127.0.0.1:9002 } ]
                    sticky: { cookie: "S R V", mode: prefix, idle: 10m, secret_file: missing.key }
                  - name: c
                    servers: [ { address: 127.0.0.1:9003 } ]
                    sticky: { cookie: SRV, secret_file: %s, path: nope }
                """.formatted(shortSecret);

        assertThat(problems(yaml)).extracting(ConfigProblem::key, ConfigProblem::message).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("backends[0].sticky.cookie",
                        "missing; sticky needs the name of its cookie, e.g. sticky: { cookie: SRV }"),
                org.assertj.core.groups.Tuple.tuple("backends[0].sticky.mode",
                        "'insret' is not allowed; did you mean 'insert'? allowed: insert, prefix, passive"),
                org.assertj.core.groups.Tuple.tuple("backends[0].sticky.max_age",
                        "1500ms is not allowed; the cookie keeps whole seconds (1s or more, or 0 for no limit)"),
                org.assertj.core.groups.Tuple.tuple("backends[0].sticky.samesite", "browsers drop a SameSite=None "
                        + "cookie that is not Secure; add secure: true or choose strict or lax"),
                org.assertj.core.groups.Tuple.tuple("backends[1].sticky.cookie",
                        "' ' cannot appear in a cookie name (letters, digits and !#$%&'*+-.^_`|~ only)"),
                org.assertj.core.groups.Tuple.tuple("backends[1].sticky.idle", "idle applies only to mode: insert, "
                        + "where Ferry writes the cookie; in mode: prefix the server writes it"),
                org.assertj.core.groups.Tuple.tuple("backends[1].sticky.secret_file",
                        "cannot read conf/missing.key: NoSuchFileException conf/missing.key"),
                org.assertj.core.groups.Tuple.tuple("backends[2].sticky.path", "'nope' is not a cookie path; it must "
                        + "start with '/' and hold no ';', spaces or control characters"),
                org.assertj.core.groups.Tuple.tuple("backends[2].sticky.secret_file", "the secret in " + shortSecret
                        + " is too short; it needs at least 16 bytes (e.g. head -c 32 /dev/urandom | base64 > "
                        + shortSecret + ")"));
    }

    @Test
    void stickTableMistakesAreReportedAtTheirKeys() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, mode: http, backend: a } ]
                backends:
                  - name: a
                    servers: [ { address: 127.0.0.1:9001 } ]
                    stick: { on: uri, expire: 0, size: 0 }
                  - name: b
                    servers: [ { address: 127.0.0.1:9002 } ]
                    stick: { on: "header:", expire: 10m }
                  - name: c
                    servers: [ { address: 127.0.0.1:9003 } ]
                    stick: { size: 20000000 }
                """;

        assertThat(problems(yaml)).extracting(ConfigProblem::key, ConfigProblem::message).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("backends[0].stick.on",
                        "'uri' is not a stick key; allowed: source_ip, header:NAME, cookie:NAME"),
                org.assertj.core.groups.Tuple.tuple("backends[0].stick.expire", "must be at least 1s"),
                org.assertj.core.groups.Tuple.tuple("backends[0].stick.size", "0 is out of range; allowed: 1..10000000"),
                org.assertj.core.groups.Tuple.tuple("backends[1].stick.on", "stick key 'header:' needs a header name "
                        + "after the colon, e.g. header:X-User; allowed: source_ip, header:NAME, cookie:NAME"),
                org.assertj.core.groups.Tuple.tuple("backends[2].stick.on",
                        "missing; stick needs what to key requests by: source_ip, header:NAME, cookie:NAME"),
                org.assertj.core.groups.Tuple.tuple("backends[2].stick.size",
                        "20000000 is out of range; allowed: 1..10000000"));
    }

    @Test
    void layer4PersistenceMistakesAreReportedAtTheirKeys() {
        String yaml = """
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool, persistence: { timeout: 5m } }
                  - { name: t, listen: 127.0.0.1:0, backend: pool, persistence: { netmask: 33, netmask6: 129 } }
                  - { name: u, listen: 127.0.0.1:0, mode: udp, backend: pool, udp: { per_datagram: true },
                      persistence: { timeout: 0, netmask: 255.0.255.0, size: 3 } }
                """ + POOL;

        assertThat(problems(yaml)).extracting(ConfigProblem::key, ConfigProblem::message).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("frontends[0].persistence", "persistence applies to tcp and udp "
                        + "frontends; an http frontend's backend keeps clients on a server with sticky: (a cookie) or "
                        + "stick: (a stick table)"),
                org.assertj.core.groups.Tuple.tuple("frontends[1].persistence.netmask", "'33' is not an IPv4 netmask; "
                        + "allowed: a prefix length 0..32 (24 groups a /24's clients) or a contiguous mask such as "
                        + "255.255.255.0"),
                org.assertj.core.groups.Tuple.tuple("frontends[1].persistence.netmask6",
                        "129 is out of range; allowed: 0..128"),
                org.assertj.core.groups.Tuple.tuple("frontends[2].persistence.size", "unknown key 'size'; allowed keys "
                        + "here: timeout, netmask, netmask6"),
                org.assertj.core.groups.Tuple.tuple("frontends[2].persistence.timeout",
                        "must be at least 1s"),
                org.assertj.core.groups.Tuple.tuple("frontends[2].persistence.netmask", "'255.0.255.0' is not an IPv4 "
                        + "netmask; allowed: a prefix length 0..32 (24 groups a /24's clients) or a contiguous mask "
                        + "such as 255.255.255.0"),
                org.assertj.core.groups.Tuple.tuple("frontends[2].persistence", "persistence keeps a client's sessions "
                        + "on one server, and udp.per_datagram: true schedules every datagram on its own; use one or "
                        + "the other"));
    }

    @Test
    void stickyOnABackendThatOnlyLayer4FrontendsUseIsAProblemNotSilentlyIgnored() {
        String yaml = """
                frontends:
                  - { name: t, listen: 127.0.0.1:0, backend: l4only }
                  - { name: u, listen: 127.0.0.1:0, mode: udp, backend: l4only }
                  - { name: web, listen: 127.0.0.1:0, mode: http, routes: [ { backend: both } ] }
                  - { name: t2, listen: 127.0.0.1:0, backend: both }
                backends:
                  - name: l4only
                    sticky: { cookie: SRV }
                    stick: { on: source_ip }
                    servers: [ { name: a, address: 127.0.0.1:9 } ]
                  - name: both
                    sticky: { cookie: SRV }
                    servers: [ { name: a, address: 127.0.0.1:9 } ]
                  - name: unused
                    sticky: { cookie: SRV }
                    servers: [ { name: a, address: 127.0.0.1:9 } ]
                """;

        String tail = "' is used only by tcp or udp frontends, DNS records or director services; at layer 4 keep a "
                + "client on one server with persistence: on the frontend (or the director service)";
        assertThat(problems(yaml)).extracting(ConfigProblem::key, ConfigProblem::message).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("backends[0].sticky",
                        "sticky applies to http requests, and backend 'l4only" + tail),
                org.assertj.core.groups.Tuple.tuple("backends[0].stick",
                        "stick applies to http requests, and backend 'l4only" + tail));
    }
}
