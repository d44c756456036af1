package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Problems found after loading (such as features this version lacks) can still name the line and column. */
class KeyPositionsTest {
    private static final String YAML = """
            frontends:
              - name: web
                listen: 127.0.0.1:0
                mode: tcp
                backend: pool
            backends:
              - name: pool
                health_check: { type: tcp }
                servers:
                  - { address: 127.0.0.1:9001, send_proxy: v2 }
            """;

    @Test
    void problemsAfterLoadingArePlacedWhereTheKeyWasWritten() throws ConfigException {
        FerryConfig config = ConfigLoaderTest.parse(YAML);

        assertThat(config.problem("frontends[0].mode", "m"))
                .isEqualTo(new ConfigProblem("conf/ferry.yaml", 4, 5, "frontends[0].mode", "m"));
        assertThat(config.problem("backends[0].health_check", "m"))
                .isEqualTo(new ConfigProblem("conf/ferry.yaml", 8, 5, "backends[0].health_check", "m"));
        assertThat(config.problem("backends[0].servers[0].send_proxy", "m"))
                .isEqualTo(new ConfigProblem("conf/ferry.yaml", 10, 36, "backends[0].servers[0].send_proxy", "m"));
    }

    @Test
    void aDefaultedKeyFallsBackToItsClosestWrittenParent() throws ConfigException {
        FerryConfig config = ConfigLoaderTest.parse(YAML);

        assertThat(config.problem("backends[0].retries", "m"))
                .isEqualTo(new ConfigProblem("conf/ferry.yaml", 7, 5, "backends[0].retries", "m"));
        assertThat(config.problem("backends[0].servers[0].weight", "m"))
                .isEqualTo(new ConfigProblem("conf/ferry.yaml", 10, 9, "backends[0].servers[0].weight", "m"));
        assertThat(config.problem("admin", "m")).isEqualTo(new ConfigProblem("conf/ferry.yaml", 0, 0, "admin", "m"));
    }

    @Test
    void layoutDoesNotChangeEquality() throws ConfigException {
        FerryConfig config = ConfigLoaderTest.parse(YAML);
        FerryConfig commented = ConfigLoaderTest.parse("# the same, moved down a line\n" + YAML);

        assertThat(commented.positions()).isNotEqualTo(config.positions());
        assertThat(commented).isEqualTo(config).hasSameHashCodeAs(config);
    }

    @Test
    void aConfigurationBuiltInCodeHasNoPositions() {
        FerryConfig config = new FerryConfig(Path.of("<test>"), Optional.empty(), List.of(), List.of(),
                Duration.ofSeconds(1));

        assertThat(config.positions()).isEqualTo(KeyPositions.NONE);
        assertThat(config.problem("frontends", "m")).isEqualTo(new ConfigProblem("<test>", 0, 0, "frontends", "m"));
    }
}
