package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Issue 18 items 5 and 6: {@code http.h2} (HTTP/2 limits and flood defences) and the frontend's
 * {@code max_connection_age} / {@code max_connection_age_grace}: defaults, values read, and every wrong value reported
 * at its key with the file, line and what is allowed.
 */
class Http2OptionsConfigTest {
    private static final String POOL = """
            backends:
              - { name: pool, servers: [ { address: 127.0.0.1:80 } ] }
            """;

    private static HttpOptions http(FerryConfig config, int index) {
        return (HttpOptions) config.frontends().get(index).options();
    }

    @Test
    void defaultsFollowEnvoyAndNettyAndTheHeaderListFollowsMaxHeaderSize() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: a, listen: 127.0.0.1:0, mode: http, backend: pool }
                  - { name: b, listen: 127.0.0.1:0, mode: http, backend: pool, http: { max_header_size: 64KiB } }
                """ + POOL, Path.of("t.yaml"));
        Http2Options d = http(config, 0).h2();
        assertThat(d).isEqualTo(Http2Options.DEFAULTS);
        assertThat(d.maxConcurrentStreams()).isEqualTo(100);
        assertThat(d.maxResets()).isEqualTo(200);
        assertThat(d.maxLocalResets()).isEqualTo(200);
        assertThat(d.resetWindow()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.maxControlFrames()).isEqualTo(1000);
        assertThat(d.controlWindow()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.maxQueuedControlFrames()).isEqualTo(1000);
        assertThat(d.maxEmptyFrames()).isEqualTo(1);
        assertThat(d.maxContinuationFrames()).isEqualTo(16);
        assertThat(http(config, 0).h2MaxHeaderListSize()).isEqualTo(32 * 1024);
        assertThat(http(config, 1).h2MaxHeaderListSize()).isEqualTo(64 * 1024);
        assertThat(config.frontends().getFirst().connectionAge()).isEqualTo(ConnectionAge.NONE);
        assertThat(ConnectionAge.NONE.limited()).isFalse();
        assertThat(ConnectionAge.NONE.grace()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void everyKeyIsRead() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - name: a
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    max_connection_age: 5m
                    max_connection_age_grace: 10s
                    http:
                      h2: { max_concurrent_streams: 7, max_header_list_size: 4KiB, max_resets: 11,
                            max_local_resets: 12, reset_window: 5s, max_control_frames: 13, control_window: 2s,
                            max_queued_control_frames: 14, max_empty_frames: 3, max_continuation_frames: 4 }
                """ + POOL, Path.of("t.yaml"));
        assertThat(http(config, 0).h2()).isEqualTo(new Http2Options(7, 4096, 11, 12, Duration.ofSeconds(5), 13,
                Duration.ofSeconds(2), 14, 3, 4));
        assertThat(http(config, 0).h2MaxHeaderListSize()).isEqualTo(4096);
        assertThat(config.frontends().getFirst().connectionAge())
                .isEqualTo(new ConnectionAge(Duration.ofMinutes(5), Duration.ofSeconds(10)));
        assertThat(config.frontends().getFirst().connectionAge().limited()).isTrue();
    }

    @Test
    void wrongValuesAreReportedAtTheirKeysWithWhatIsAllowed() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse("""
                frontends:
                  - name: a
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    max_connection_age: -1s
                    http:
                      h2: { max_concurrent_streams: 0, max_header_list_size: 10B, max_resets: 0,
                            reset_window: 1500ms, control_window: 0, max_empty_frames: lots,
                            max_stream: 3 }
                  - { name: t, listen: 127.0.0.1:0, mode: tcp, backend: pool, max_connection_age: 1m }
                """ + POOL, Path.of("t.yaml")));
        assertThat(e.problems()).extracting(ConfigProblem::key).containsExactlyInAnyOrder(
                "frontends[0].max_connection_age",
                "frontends[0].http.h2.max_concurrent_streams",
                "frontends[0].http.h2.max_header_list_size",
                "frontends[0].http.h2.max_resets",
                "frontends[0].http.h2.reset_window",
                "frontends[0].http.h2.control_window",
                "frontends[0].http.h2.max_empty_frames",
                "frontends[0].http.h2.max_stream",
                "frontends[1].max_connection_age");
        assertThat(e.problems()).allSatisfy(p -> {
            assertThat(p.file()).isEqualTo("t.yaml");
            assertThat(p.line()).isPositive();
        });
        String message = e.getMessage();
        assertThat(message).contains("0 is out of range; allowed: 1..10000")
                .contains("10 bytes is out of range; allowed: 256B to 1MiB")
                .contains("must be whole seconds from 1s to 1h")
                .contains("applies only to http frontends")
                .contains("max_concurrent_streams");
    }
}
