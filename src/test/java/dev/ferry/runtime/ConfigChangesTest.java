package dev.ferry.runtime;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reload report's words for a kept frontend's mode options: named by the file's keys ({@code http.},
 * {@code udp.}), whatever shape the records have (issue 17 item 4).
 */
class ConfigChangesTest {

    private static FrontendConfig frontend(String frontend) throws Exception {
        return ConfigLoader.parse("frontends:\n  - " + frontend + """

                backends:
                  - { name: site, servers: [ { address: 127.0.0.1:9001 } ] }
                """, Path.of("changes.yaml")).frontends().getFirst();
    }

    @Test
    void httpOptionsAreReportedUnderHttp() throws Exception {
        FrontendConfig before = frontend("{ name: web, listen: 127.0.0.1:8080, mode: http, backend: site }");
        FrontendConfig after = frontend("{ name: web, listen: 127.0.0.1:8080, mode: http, backend: site, "
                + "max_connections: 5, http: { max_header_size: 1KiB, lingering_close: off } }");

        assertThat(ConfigChanges.of(before, after)).containsExactly("max_connections 10000 -> 5",
                "http.max_header_size 32768 -> 1024", "http.lingering.mode on -> off");
        assertThat(ConfigChanges.of(after, after)).isEmpty();
    }

    @Test
    void udpOptionsAreReportedUnderUdpAndATcpFrontendHasNone() throws Exception {
        FrontendConfig before = frontend("{ name: dns, listen: 127.0.0.1:5353, mode: udp, backend: site }");
        FrontendConfig after = frontend("{ name: dns, listen: 127.0.0.1:5353, mode: udp, backend: site, "
                + "udp: { per_datagram: true } }");
        assertThat(ConfigChanges.of(before, after)).containsExactly("udp.per_datagram false -> true");

        FrontendConfig tcp = frontend("{ name: raw, listen: 127.0.0.1:9000, backend: site }");
        FrontendConfig idle = frontend("{ name: raw, listen: 127.0.0.1:9000, backend: site, "
                + "timeouts: { client_idle: 5s } }");
        assertThat(ConfigChanges.of(tcp, idle)).containsExactly("timeouts.client_idle 1m -> 5s");
    }

    private static BackendConfig backend(String healthCheck) throws Exception {
        return ConfigLoader.parse("""
                frontends: [ { name: raw, listen: 127.0.0.1:9000, backend: site } ]
                backends:
                  - name: site
                    servers: [ { address: 127.0.0.1:9001 } ]
                    health_check:""" + " " + healthCheck + "\n", Path.of("changes.yaml")).backends().getFirst();
    }

    @Test
    void aHealthChecksSettingsAreReportedByTheirKeysAndANewTypeAgainstItsDefaults() throws Exception {
        assertThat(ConfigChanges.of(backend("{ type: http }"), backend("{ type: http, path: /h, interval: 5s }")))
                .containsExactly("health_check.path / -> /h", "health_check.interval 2s -> 5s");
        assertThat(ConfigChanges.of(backend("{ send: PING }"), backend("{ send: PONG }")))
                .containsExactly("health_check.send.bytes changed");
        assertThat(ConfigChanges.of(backend("{ type: tcp }"), backend("{ type: redis, fall: 1 }")))
                .containsExactly("health_check.type tcp -> redis", "health_check.fall 3 -> 1");
        // A new type: its settings as the file sets them, against that type's defaults.
        assertThat(ConfigChanges.of(backend("{ type: tcp, send: PING }"), backend("{ type: http, path: /healthz }")))
                .containsExactly("health_check.type tcp -> http", "health_check.path / -> /healthz");
        assertThat(ConfigChanges.of(backend("{ type: mysql }"), backend("{ type: mysql }"))).isEmpty();
    }
}
