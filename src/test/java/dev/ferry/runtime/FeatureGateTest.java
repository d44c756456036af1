package dev.ferry.runtime;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class FeatureGateTest {

    @Test
    void aPlainTcpConfigurationPasses() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: db, listen: 127.0.0.1:0, mode: tcp, backend: pg }
                backends:
                  - { name: pg, scheduler: wrr, servers: [ { address: 127.0.0.1:5432, weight: 2 } ] }
                """, Path.of("ok.yaml"));
        assertThatCode(() -> FeatureGate.check(config)).doesNotThrowAnyException();
    }

    @Test
    void everyFeatureNotYetBuiltIsNamedByItsKey() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes: [ { backend: pool } ]
                  - { name: db, listen: 127.0.0.1:0, mode: tcp, backend: pool, proxy_protocol: true }
                backends:
                  - name: pool
                    health_check: { type: tcp }
                    slow_start: 30s
                    servers: [ { address: 127.0.0.1:80, send_proxy: v2 } ]
                """, Path.of("later.yaml"));

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> FeatureGate.check(config));

        assertThat(e.problems()).extracting(ConfigProblem::key).containsExactly(
                "frontends[0].mode", "backends[0].health_check", "backends[0].slow_start");
        assertThat(e.problems().get(0).toString())
                .isEqualTo("later.yaml:4:5: frontends[0].mode: mode http is not available in this version; "
                        + "frontends can use mode tcp or udp");
        assertThat(e.problems().get(1).toString())
                .isEqualTo("later.yaml:9:5: backends[0].health_check: active health checking is not available in this "
                        + "version of Ferry; remove the key");
    }
}
