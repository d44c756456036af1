package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the YAML configuration reader ({@link ConfigLoader#parse}): any text either loads or yields problems, each
 * with a position (or one of the few that have none: an empty file, a YAML limit), never an exception and never the
 * "internal error" sentence that stands for a bug of ours.
 */
class ConfigFuzzTest {
    /** A directory that does not exist, so relative file names in the input (certificates, token files) resolve nowhere. */
    private static final Path SOURCE = Path.of("/nonexistent-ferry-fuzz/ferry.yaml");

    @FuzzTest
    void config(byte[] input) {
        String yaml = new String(input, StandardCharsets.UTF_8);
        try {
            ConfigLoader.parse(yaml, SOURCE);
        } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty();
            for (ConfigProblem p : e.problems()) {
                assertThat(p.message()).as("problem %s", p).isNotBlank().doesNotContain("internal error");
                assertThat(p.file()).isEqualTo(SOURCE.toString());
                if (p.line() == 0) {
                    assertThat(p.message()).as("unplaced problem %s", p)
                            .matches("(?s)(the file is empty.*|YAML error: .*|YAML syntax error: .*)");
                } else {
                    assertThat(p.line()).isPositive();
                    assertThat(p.column()).isPositive();
                }
            }
        }
    }
}
