package dev.ferry.config;

import dev.ferry.config.HealthCheckConfig.HttpCheck;
import dev.ferry.config.HealthCheckConfig.StatusRange;
import dev.ferry.config.HealthCheckConfig.TcpCheck;
import dev.ferry.schedule.Schedulers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading valid files: every key of product.md lands in the records, and every default is filled in. */
class ConfigLoaderTest {
    /** Stands in for the scheduler registry, which other work fills: these names are valid, others are not. */
    static List<SchedulerProblem> knownSchedulers(SchedulerConfig config) {
        return Set.of("wlc", "rr", "mh").contains(config.name()) ? List.of()
                : List.of(SchedulerProblem.whole("unknown scheduler '" + config.name() + "'"));
    }

    static FerryConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("conf/ferry.yaml"), ConfigLoaderTest::knownSchedulers);
    }

    /** The example of product.md without its dns: section (read in DnsConfigTest). */
    static final String PRODUCT_EXAMPLE = """
            admin:
              listen: 127.0.0.1:9090          # admin API, metrics and dashboard
              token_file: admin.token         # optional

            frontends:
              - name: web
                listen: 0.0.0.0:8080
                mode: http                    # tcp | udp | http
                tls:
                  certificates:
                    - { cert: certs/site.pem, key: certs/site.key }
                proxy_protocol: false
                routes:
                  - match: { host: api.example.com, path_prefix: /v1/, methods: [GET, POST], headers: { X-Canary: "1" } }
                    backend: api
                  - backend: web              # a route with no match is the catch-all
                backend: web
                max_connections: 10000
                timeouts: { client_idle: 60s, request_header: 10s }

            backends:
              - name: web
                scheduler: wlc
                hash_key: source_ip
                servers:
                  - { name: web1, address: 10.0.0.11:80, weight: 3 }
                  - { name: web2, address: 10.0.0.12:80, weight: 1, max_connections: 200, send_proxy: v2 }
                health_check:
                  type: http
                  path: /healthz
                  expect_status: 200-399
                  interval: 2s
                  timeout: 1s
                  rise: 2
                  fall: 3
                outlier: { consecutive_failures: 5, ejection: 30s }
                slow_start: 30s
                feedback: { enabled: true, interval: 5s, agent_port: 9777 }
                retries: 2
                timeouts: { connect: 2s, server_idle: 60s, response: 30s }
                tcp_keepalive: { idle: 60s, interval: 10s, count: 6 }
              - name: api
                servers:
                  - address: 10.0.1.1:8080
            """;

    @Test
    void readsTheProductExampleIntoRecords() throws ConfigException {
        FerryConfig config = parse(PRODUCT_EXAMPLE);

        assertThat(config.source()).isEqualTo(Path.of("conf/ferry.yaml"));
        assertThat(config.admin()).contains(new AdminConfig(new HostPort("127.0.0.1", 9090),
                Optional.of(Path.of("conf/admin.token"))));
        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));

        FrontendConfig web = config.frontends().getFirst();
        assertThat(web.name()).isEqualTo("web");
        assertThat(web.listen()).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(web.mode()).isEqualTo(Mode.HTTP);
        assertThat(web.tls()).contains(new TlsConfig(List.of(
                new TlsConfig.Certificate(Path.of("conf/certs/site.pem"), Path.of("conf/certs/site.key")))));
        assertThat(web.proxyProtocol()).isFalse();
        assertThat(web.routes()).containsExactly(
                new RouteConfig(Optional.of(new RouteConfig.Match(Optional.of("api.example.com"), Optional.of("/v1/"),
                        Optional.empty(), Optional.empty(), List.of("GET", "POST"), Map.of("X-Canary", "1"), Map.of())),
                        "api"),
                new RouteConfig(Optional.empty(), "web"));
        assertThat(web.backend()).contains("web");
        assertThat(web.maxConnections()).isEqualTo(10_000);
        assertThat(web.timeouts()).isEqualTo(new FrontendTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(10)));
        // An http frontend carries its http: options and no udp: ones (the file has neither block: the defaults).
        assertThat(web.options()).isEqualTo(HttpOptions.DEFAULTS);

        BackendConfig backend = config.backend("web").orElseThrow();
        assertThat(backend.scheduler()).isEqualTo(SchedulerConfig.of("wlc"));
        assertThat(backend.hashKey()).isEqualTo("source_ip");
        assertThat(backend.servers()).containsExactly(
                new ServerConfig("web1", new HostPort("10.0.0.11", 80), 3, 0, Optional.empty()),
                new ServerConfig("web2", new HostPort("10.0.0.12", 80), 1, 200, Optional.of(ProxyProtocolVersion.V2)));
        assertThat(backend.healthCheck()).contains(new HealthCheckConfig(new HttpCheck("/healthz", "GET",
                Optional.empty(), new StatusRange(200, 399), Optional.empty()), Duration.ofSeconds(2),
                Duration.ofSeconds(1), 2, 3, Optional.empty()));
        assertThat(backend.outlier()).contains(new OutlierConfig(5, Duration.ofSeconds(30), 50));
        assertThat(backend.slowStart()).isEqualTo(Duration.ofSeconds(30));
        assertThat(backend.feedback()).contains(new FeedbackConfig(true, Duration.ofSeconds(5), 9777, LoadCoefficients.DEFAULT));
        assertThat(backend.retries()).isEqualTo(2);
        assertThat(backend.timeouts()).isEqualTo(new BackendTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(60),
                Duration.ofSeconds(30)));
        assertThat(backend.tcpKeepalive()).contains(new KeepaliveConfig(Duration.ofSeconds(60),
                Duration.ofSeconds(10), 6));
    }

    @Test
    void fillsEveryDefaultOfAMinimalFile() throws ConfigException {
        FerryConfig config = parse("""
                frontends:
                  - { name: in, listen: 127.0.0.1:0, backend: pool }
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    health_check: {}
                    outlier: {}
                    feedback: {}
                    tcp_keepalive: {}
                """);

        assertThat(config.admin()).isEmpty();
        assertThat(config.shutdownGrace()).isEqualTo(FerryConfig.DEFAULT_SHUTDOWN_GRACE);
        FrontendConfig in = config.frontends().getFirst();
        assertThat(in).isEqualTo(new FrontendConfig("in", new HostPort("127.0.0.1", 0), Optional.empty(),
                false, List.of(), Optional.of("pool"), 10_000, FrontendTimeouts.DEFAULTS, TcpOptions.DEFAULTS));
        BackendConfig pool = config.backends().getFirst();
        assertThat(pool.scheduler()).isEqualTo(new SchedulerConfig("wlc", Map.of()));
        assertThat(pool.hashKey()).isEqualTo("source_ip");
        assertThat(pool.servers()).containsExactly(
                new ServerConfig("127.0.0.1:9001", new HostPort("127.0.0.1", 9001), 1, 0, Optional.empty()));
        assertThat(pool.healthCheck()).contains(new HealthCheckConfig(TcpCheck.CONNECT, Duration.ofSeconds(2),
                Duration.ofSeconds(1), 2, 3, Optional.empty()));
        assertThat(pool.outlier()).contains(new OutlierConfig(5, Duration.ofSeconds(30), 50));
        assertThat(pool.slowStart()).isZero();
        assertThat(pool.feedback()).contains(new FeedbackConfig(true, Duration.ofSeconds(10), 9777, LoadCoefficients.DEFAULT));
        assertThat(pool.retries()).isEqualTo(2);
        assertThat(pool.timeouts()).isEqualTo(BackendTimeouts.DEFAULTS);
        assertThat(pool.tcpKeepalive()).contains(KeepaliveConfig.DEFAULTS);
    }

    @Test
    void leavesOptionalSectionsEmptyWhenAbsent() throws ConfigException {
        BackendConfig pool = parse("""
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends: [ { name: pool, servers: [ { address: 127.0.0.1:9001 } ] } ]
                """).backends().getFirst();

        assertThat(pool.healthCheck()).isEmpty();
        assertThat(pool.outlier()).isEmpty();
        assertThat(pool.feedback()).isEmpty();
        assertThat(pool.tcpKeepalive()).isEmpty();
    }

    @Test
    void readsSchedulerWrittenAsAMappingWithOptionsAsText() throws ConfigException {
        BackendConfig pool = parse("""
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    scheduler: { name: mh, fallback: true, table_size: 65521 }
                    hash_key: header:X-User
                    servers: [ { address: 127.0.0.1:9001 } ]
                """).backends().getFirst();

        assertThat(pool.scheduler()).isEqualTo(new SchedulerConfig("mh", Map.of("fallback", "true",
                "table_size", "65521")));
        assertThat(pool.hashKey()).isEqualTo("header:X-User");
    }

    @Test
    void readsUdpFrontendsIpv6AndShutdownGrace() throws ConfigException {
        FerryConfig config = parse("""
                shutdown_grace: 1.5s
                frontends:
                  - { name: dns, listen: "[::1]:5353", mode: udp, backend: resolvers, udp: { per_datagram: true } }
                  - { name: dns-tcp, listen: "[::1]:5353", mode: tcp, backend: resolvers }
                backends:
                  - name: resolvers
                    servers: [ { name: r1, address: "[fd00::1]:53", weight: 0 } ]
                """);

        assertThat(config.shutdownGrace()).isEqualTo(Duration.ofMillis(1500));
        FrontendConfig dns = config.frontends().getFirst();
        assertThat(dns.mode()).isEqualTo(Mode.UDP);
        assertThat(dns.listen()).isEqualTo(new HostPort("::1", 5353));
        assertThat(dns.options()).isEqualTo(new UdpOptions(true));
        assertThat(config.backends().getFirst().servers().getFirst().address()).isEqualTo(new HostPort("fd00::1", 53));
        assertThat(config.backends().getFirst().servers().getFirst().weight()).isZero();
    }

    @Test
    void honoursYamlAnchorsAndMergeKeys() throws ConfigException {
        BackendConfig pool = parse("""
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers:
                      - &base { name: a, address: 127.0.0.1:9001, weight: 5, max_connections: 100 }
                      - { <<: *base, name: b, address: 127.0.0.1:9002 }
                """).backends().getFirst();

        assertThat(pool.servers().get(1)).isEqualTo(
                new ServerConfig("b", new HostPort("127.0.0.1", 9002), 5, 100, Optional.empty()));
    }

    @Test
    void readsASingleExpectedStatusAndNormalisesTheCheckMethod() throws ConfigException {
        HealthCheckConfig check = parse("""
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    health_check: { type: http, method: head, expect_status: 204, host: svc.local, check_port: 8081 }
                """).backends().getFirst().healthCheck().orElseThrow();

        HttpCheck http = (HttpCheck) check.probe();
        assertThat(http.expectStatus()).isEqualTo(new StatusRange(204, 204));
        assertThat(http.method()).isEqualTo("HEAD");
        assertThat(http.host()).contains("svc.local");
        assertThat(check.checkPort()).contains(8081);
    }

    @Test
    void feedbackSwitchedOffReadsAsNoFeedback() throws ConfigException {
        BackendConfig pool = parse("""
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - { name: pool, feedback: { enabled: false }, servers: [ { address: 127.0.0.1:9001 } ] }
                """).backends().getFirst();

        assertThat(pool.feedback()).isEmpty();
    }

    @Test
    void loadsAFileAndResolvesRelativeNamesAgainstItsDirectory(@TempDir Path dir) throws IOException, ConfigException {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                admin: { listen: 127.0.0.1:0, token_file: secret/token }
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends: [ { name: pool, scheduler: rr, servers: [ { address: 127.0.0.1:9001 } ] } ]
                """);

        FerryConfig config = ConfigLoader.load(file, ConfigLoaderTest::knownSchedulers);

        assertThat(config.source()).isEqualTo(file);
        assertThat(config.admin().orElseThrow().tokenFile()).contains(dir.resolve("secret/token"));
    }

    @Test
    void theProductExampleIsValidForTheRealSchedulerRegistry() throws ConfigException {
        FerryConfig config = ConfigLoader.parse(PRODUCT_EXAMPLE, Path.of("ferry.yaml"));

        assertThat(config.backends()).extracting(b -> b.scheduler().name()).containsExactly("wlc", "wlc");
    }

    @Test
    void schedulerOptionsReachTheRealRegistryAsText() throws ConfigException {
        FerryConfig config = ConfigLoader.parse("""
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    scheduler: { name: mh, fallback: true, table_size: 65521 }
                    servers: [ { address: 127.0.0.1:9001 } ]
                """, Path.of("ferry.yaml"));

        SchedulerConfig scheduler = config.backends().getFirst().scheduler();
        assertThat(Schedulers.problems(scheduler)).isEmpty();
        assertThat(Schedulers.create(scheduler)).isNotNull();
    }

    @Test
    void aMissingFileIsOneClearProblem(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> ConfigLoader.load(missing))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        new ConfigProblem(missing.toString(), 0, 0, "", "cannot read " + missing + ": no such file")));
    }

    @Test
    void feedbackCoefficientsLeftOutCountAsZero() throws ConfigException {
        FerryConfig config = ConfigLoader.parse("""
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { address: 127.0.0.1:9001 } ]
                    feedback: { coefficients: { cpu: 0.7, input: .2, response: 0.1 } }
                """, Path.of("f.yaml"));
        assertThat(config.backends().get(0).feedback().orElseThrow().coefficients())
                .isEqualTo(new LoadCoefficients(0.2, 0.7, 0, 0, 0, 0.1));
    }
}
