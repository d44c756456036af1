package dev.ferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Whatever the file holds, the loader answers with a configuration or with problems, never with another exception:
 * users must not see a stack trace.
 */
class ConfigRobustnessTest {
    /** Values that break the expectations of most keys in different ways. */
    private static final List<String> REPLACEMENTS = List.of("", "\"\"", "[]", "{ a: { b: c } }", "[1, [2]]", "-1",
            "99999999999999999999", "x", "!custom.Tag x", "\"\\u0000\"");

    @Test
    void everyMutationOfTheProductExampleEndsInAConfigOrProblems() {
        List<String> lines = ConfigLoaderTest.PRODUCT_EXAMPLE.lines().toList();
        List<String> variants = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int colon = line.indexOf(':');
            List<String> mutated = new ArrayList<>(lines);
            mutated.remove(i);
            variants.add(String.join("\n", mutated));
            if (colon > 0) {
                for (String replacement : REPLACEMENTS) {
                    mutated = new ArrayList<>(lines);
                    mutated.set(i, line.substring(0, colon + 1) + " " + replacement);
                    variants.add(String.join("\n", mutated));
                }
            }
        }

        int refused = 0;
        for (String yaml : variants) {
            try {
                ConfigLoaderTest.parse(yaml);
            } catch (ConfigException e) {
                refused++;
                assertThat(e.problems()).as("problems of:\n%s", yaml).isNotEmpty().allSatisfy(p -> {
                    assertThat(p.file()).isEqualTo("conf/ferry.yaml");
                    assertThat(p.message()).isNotBlank().doesNotContain("Exception").doesNotContain("internal error");
                });
            }
        }
        assertThat(variants).hasSizeGreaterThan(400);
        assertThat(refused).as("most mutations break the file").isGreaterThan(variants.size() / 2);
    }

    @Test
    void aBugWhileCheckingBecomesAProblemNotAStackTrace() {
        String yaml = """
                frontends: [ { name: in, listen: 127.0.0.1:0, backend: pool } ]
                backends: [ { name: pool, scheduler: rr, servers: [ { address: 127.0.0.1:9001 } ] } ]
                """;

        assertThatThrownBy(() -> ConfigLoader.parse(yaml, Path.of("f.yaml"), c -> {
            throw new IllegalStateException("registry broke");
        })).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                new ConfigProblem("f.yaml", 0, 0, "", "Ferry could not check this file (internal error: "
                        + "java.lang.IllegalStateException: registry broke); please report it")));
    }

    @Test
    void aDirectoryIsNotAConfigurationFile(@TempDir Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        new ConfigProblem(dir.toString(), 0, 0, "", "cannot read " + dir + ": it is a directory")));
    }

    @Test
    void aFileThatIsNotUtf8IsRefusedAsSuch(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, new byte[]{'a', ':', ' ', (byte) 0xE9, '\n'});

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        new ConfigProblem(file.toString(), 0, 0, "", "cannot read " + file + ": it is not UTF-8 text")));
    }

    @Test
    void aLeadingByteOrderMarkIsIgnored(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bom.yaml");
        Files.writeString(file, "\uFEFFcolour: red\n");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).first()
                        .satisfies(p -> {
                            assertThat(p.line()).isEqualTo(1);
                            assertThat(p.column()).isEqualTo(1);
                            assertThat(p.key()).isEqualTo("colour");
                        }));
    }

    @Test
    void severalDocumentsInOneFileAreASyntaxError() {
        assertThatThrownBy(() -> ConfigLoaderTest.parse("frontends: []\n---\nbackends: []\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                        .satisfies(p -> {
                            assertThat(p.line()).isEqualTo(2);
                            assertThat(p.message()).isEqualTo(
                                    "YAML syntax error: expected a single document in the stream, but found another document");
                        }));
    }
}
