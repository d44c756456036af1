package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code http:} options of a frontend: request-head limits, sizes in binary units, checked at the boundary. */
class HttpOptionsConfigTest {
    private static final String POOL = """
            backends:
              - { name: pool, servers: [ { address: 127.0.0.1:80 } ] }
            """;

    /** The {@code http:} options of the {@code index}th frontend, an http one. */
    private static HttpOptions http(FerryConfig config, int index) {
        return (HttpOptions) config.frontends().get(index).options();
    }

    @Test
    void limitsAreReadAsSizesAndDefaultWhenAbsent() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { max_request_line: 2KiB, max_header_size: 64KiB } }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool }
                """ + POOL, Path.of("t.yaml"));
        assertThat(http(config, 0)).isEqualTo(new HttpOptions(2048, 65536));
        assertThat(http(config, 1)).isEqualTo(HttpOptions.DEFAULTS);
        assertThat(HttpOptions.DEFAULTS).isEqualTo(new HttpOptions(8192, 32768));
        assertThat(HttpOptions.DEFAULTS.forwardingHeaders()).containsExactlyInAnyOrder(ForwardingHeader.values());
    }

    /** Issue 15 item 34(b): nginx's {@code 8k} means 8192 bytes, and so it does here. */
    @Test
    void nginxStyleUnitsAreBinary() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { max_request_line: 8k, max_header_size: 64KB } }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { max_request_line: 1m, max_header_size: 16kb } }
                """ + POOL, Path.of("t.yaml"));
        assertThat(http(config, 0)).isEqualTo(new HttpOptions(8192, 65536));
        assertThat(http(config, 1)).isEqualTo(new HttpOptions(1048576, 16384));
    }

    @Test
    void maxHeaderCountDefaultsTo100AndIsAWholeNumberInRange() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool, http: { max_header_count: 250 } }
                """ + POOL, Path.of("t.yaml"));
        assertThat(http(config, 0).maxHeaderCount()).isEqualTo(250);
        assertThat(HttpOptions.DEFAULTS.maxHeaderCount()).isEqualTo(100);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool, http: { max_header_count: 0 } }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool, http: { max_header_count: many } }
                """ + POOL, Path.of("t.yaml")));
        assertThat(e.problems()).extracting(ConfigProblem::key)
                .containsOnly("frontends[0].http.max_header_count", "frontends[1].http.max_header_count");
        assertThat(e.getMessage()).contains("0 is out of range; allowed: 1..10000");
    }

    @Test
    void forwardingHeadersNamesAnyCaseAndAnEmptyListMeansNone() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { forwarding_headers: [X-Forwarded-For, x-forwarded-proto, X-REQUEST-ID] } }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool, http: { forwarding_headers: [] } }
                """ + POOL, Path.of("t.yaml"));
        assertThat(http(config, 0).forwardingHeaders()).containsExactlyInAnyOrder(
                ForwardingHeader.X_FORWARDED_FOR, ForwardingHeader.X_FORWARDED_PROTO, ForwardingHeader.X_REQUEST_ID);
        assertThat(http(config, 0).maxHeaderSize()).isEqualTo(HttpOptions.DEFAULTS.maxHeaderSize());
        assertThat(http(config, 1).forwardingHeaders()).isEmpty();
    }

    @Test
    void deferAcceptIsOnUnlessTurnedOffAndMustBeABoolean() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool, http: { defer_accept: false } }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool }
                """ + POOL, Path.of("t.yaml"));
        assertThat(http(config, 0).deferAccept()).isFalse();
        assertThat(http(config, 1).deferAccept()).isTrue();
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool, http: { defer_accept: sometimes } }
                """ + POOL, Path.of("t.yaml")));
        assertThat(e.problems()).extracting(ConfigProblem::key).containsOnly("frontends[0].http.defer_accept");
    }

    @Test
    void protocolsDefaultToH2ThenHttp1AndKeepTheirOrder() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool, http: { protocols: [http/1.1] } }
                  - { name: c, listen: 127.0.0.1:0, mode: http, backend: pool, http: { protocols: [HTTP/1.1, h2] } }
                """ + POOL, Path.of("t.yaml"));
        assertThat(http(config, 0).protocols()).containsExactly(HttpProtocol.H2, HttpProtocol.HTTP_1_1);
        assertThat(http(config, 1).protocols()).containsExactly(HttpProtocol.HTTP_1_1);
        assertThat(http(config, 1).speaksHttp2()).isFalse();
        assertThat(http(config, 2).protocols()).containsExactly(HttpProtocol.HTTP_1_1, HttpProtocol.H2);
    }

    @Test
    void badProtocolsAreReportedWithWhereAndWhatIsAllowed() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool, http: { protocols: [h2c] } }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool, http: { protocols: [h2, h2] } }
                  - { name: c, listen: 127.0.0.1:0, mode: http, backend: pool, http: { protocols: [] } }
                """ + POOL, Path.of("t.yaml")));
        assertThat(e.problems()).extracting(ConfigProblem::key).containsOnly("frontends[0].http.protocols",
                "frontends[1].http.protocols", "frontends[2].http.protocols");
        assertThat(e.getMessage())
                .contains("t.yaml:2:")
                .contains("'h2c' is not a protocol Ferry speaks; did you mean 'h2'? allowed: h2, http/1.1")
                .contains("'h2' is listed twice")
                .contains("is empty; an http frontend speaks at least one protocol");
    }

    @Test
    void anUnknownForwardingHeaderIsNamedWithTheAllowedOnes() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { forwarding_headers: [X-Forwarded-Fro, X-Real-IP] } }
                """ + POOL, Path.of("t.yaml")));
        assertThat(e.problems()).extracting(ConfigProblem::key).containsOnly("frontends[0].http.forwarding_headers");
        assertThat(e.getMessage())
                .contains("'X-Forwarded-Fro' is not a header Ferry adds; did you mean 'x-forwarded-for'?")
                .contains("'X-Real-IP' is not a header Ferry adds")
                .contains("allowed (any case): x-forwarded-for, x-forwarded-proto, x-forwarded-host, forwarded, via, "
                        + "x-request-id, or [] for none");
    }

    @Test
    void outOfRangeLimitsNonSizesUnknownKeysAndNonHttpFrontendsAreReported() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - name: a
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    http: { max_request_line: 100, max_header_size: 2MiB, max_body: 1MiB }
                  - name: b
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    http: { max_header_size: lots }
                  - { name: c, listen: 127.0.0.1:0, mode: tcp, backend: pool, http: { max_header_size: 8KiB } }
                """ + POOL, Path.of("t.yaml")));
        assertThat(e.problems()).extracting(ConfigProblem::key).contains(
                "frontends[0].http.max_request_line", "frontends[0].http.max_header_size",
                "frontends[0].http.max_body", "frontends[1].http.max_header_size", "frontends[2].http");
        assertThat(e.getMessage())
                .contains("100 bytes is out of range; allowed: 256B to 1MiB")
                .contains("2097152 bytes is out of range")
                .contains("http: options apply only to http frontends");
    }

    /** Issue 15 item 8: nginx's lingering_close, lingering_time and lingering_timeout, and a byte cap of Ferry's. */
    @Test
    void lingeringKeysHaveNginxDefaultsAndTakeNginxValues() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { lingering_close: always, lingering_time: 90s, lingering_timeout: 250ms,
                              lingering_bytes: 1MiB } }
                  - { name: c, listen: 127.0.0.1:0, mode: http, backend: pool, http: { lingering_close: off } }
                  - { name: d, listen: 127.0.0.1:0, mode: http, backend: pool, http: { lingering_close: on } }
                """ + POOL, Path.of("t.yaml"));
        LingeringOptions d = LingeringOptions.DEFAULTS;
        assertThat(d).isEqualTo(new LingeringOptions(LingeringOptions.Mode.ON, java.time.Duration.ofSeconds(30),
                java.time.Duration.ofSeconds(5), 64L * 1024 * 1024));
        assertThat(http(config, 0).lingering()).isEqualTo(d);
        assertThat(http(config, 1).lingering()).isEqualTo(new LingeringOptions(
                LingeringOptions.Mode.ALWAYS, java.time.Duration.ofSeconds(90), java.time.Duration.ofMillis(250),
                1024 * 1024));
        assertThat(http(config, 2).lingering().mode()).isEqualTo(LingeringOptions.Mode.OFF);
        assertThat(http(config, 2).lingering().time()).isEqualTo(d.time());
        assertThat(http(config, 3).lingering().mode()).isEqualTo(LingeringOptions.Mode.ON);
    }

    @Test
    void badLingeringValuesAreReportedWithWhatIsAllowed() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { lingering_close: sometimes, lingering_time: 0s, lingering_timeout: soon,
                              lingering_bytes: 0 } }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool,
                      http: { lingering_close: true, lingering_bytes: lots } }
                """ + POOL, Path.of("t.yaml")));
        assertThat(e.problems()).extracting(ConfigProblem::key).containsOnly(
                "frontends[0].http.lingering_close", "frontends[0].http.lingering_time",
                "frontends[0].http.lingering_timeout", "frontends[0].http.lingering_bytes",
                "frontends[1].http.lingering_close", "frontends[1].http.lingering_bytes");
        assertThat(e.problems()).allSatisfy(p -> assertThat(p.line()).isPositive());
        assertThat(e.getMessage())
                .contains("'sometimes' is not allowed; allowed: off, on, always")
                .contains("'true' is not allowed")
                .contains("must be more than 0")
                .contains("'lots' is not a size");
    }
}
