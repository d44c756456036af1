package dev.ferry;

import dev.ferry.backend.Backend;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 17 item 6: the packages {@code config}, {@code schedule} and {@code backend} depend on each other one way
 * only: {@code config} on nothing of the runtime, {@code schedule} on {@code config} (its own options and the
 * duration grammar) but not on {@code backend}, {@code backend} on both. Checked twice: in the compiled classes with
 * the JDK's {@code jdeps} (what the code really uses), and in the sources' imports and qualified names (which also
 * catches a compile-time constant, which javac copies into the user and so leaves no trace in its class file).
 */
class PackageDependenciesTest {
    /** Each package (with its subpackages) and the packages it must not use. */
    private static final Map<String, Set<String>> FORBIDDEN = Map.of(
            "config", Set.of("schedule", "backend"),
            "schedule", Set.of("backend"));
    private static final Pattern JDEPS_EDGE = Pattern.compile(
            "^\\s*dev\\.ferry\\.(\\w+)\\.\\S+\\s+->\\s+dev\\.ferry\\.(\\w+)\\.\\S+");
    private static final Pattern SOURCE_REFERENCE = Pattern.compile("\\bdev\\.ferry\\.(\\w+)\\.[A-Za-z]");

    @Test
    void theCompiledClassesUseNoForbiddenPackage() throws Exception {
        Optional<ToolProvider> jdeps = ToolProvider.findFirst("jdeps");
        assertThat(jdeps).as("the JDK's jdeps tool (the tests need a JDK, not a JRE)").isPresent();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = jdeps.get().run(new PrintWriter(out), new PrintWriter(err), "-verbose:class", "-filter:package",
                "-include", "dev\\.ferry\\.(backend|schedule|config)\\..*", classes().toString());
        assertThat(status).as("jdeps exit status; stderr: %s", err).isZero();

        Set<String> edges = new TreeSet<>();
        Set<String> violations = new TreeSet<>();
        for (String line : out.toString().lines().toList()) {
            Matcher m = JDEPS_EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                edges.add(m.group(1) + " -> " + m.group(2));
                if (FORBIDDEN.getOrDefault(m.group(1), Set.of()).contains(m.group(2))) {
                    violations.add(line.strip().replaceAll("\\s+", " "));
                }
            }
        }
        // Proof that the scan saw the classes at all: the allowed directions are there.
        assertThat(edges).as("package edges jdeps found").contains("backend -> schedule", "schedule -> config");
        assertThat(violations).as("class dependencies against the direction config <- schedule <- backend")
                .isEmpty();
    }

    @Test
    void theSourcesNameNoForbiddenPackage() throws IOException {
        Path root = Path.of("src/main/java/dev/ferry");
        assertThat(root).as("the main sources, from the project directory").isDirectory();
        Set<String> violations = new TreeSet<>();
        for (Map.Entry<String, Set<String>> rule : FORBIDDEN.entrySet()) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root.resolve(rule.getKey()))) {
                files = walk.filter(p -> p.toString().endsWith(".java")).toList();
            }
            assertThat(files).as("sources of %s", rule.getKey()).isNotEmpty();
            for (Path file : files) {
                String code = withoutComments(Files.readString(file));
                Matcher m = SOURCE_REFERENCE.matcher(code);
                while (m.find()) {
                    if (rule.getValue().contains(m.group(1))) {
                        int line = (int) code.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
                        violations.add(root.relativize(file) + ":" + line + " uses dev.ferry." + m.group(1));
                    }
                }
            }
        }
        assertThat(violations).as("source references against the direction config <- schedule <- backend")
                .isEmpty();
    }

    /** The directory the main classes were compiled into. */
    private static Path classes() throws URISyntaxException {
        return Path.of(Backend.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** {@code code} with its comments blanked out (newlines kept, so line numbers stay right). */
    private static String withoutComments(String code) {
        Matcher m = Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"(?:\\\\.|[^\"\\\\])*\"", Pattern.DOTALL).matcher(code);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String hit = m.group();
            m.appendReplacement(out, Matcher.quoteReplacement(
                    hit.startsWith("\"") ? hit : hit.replaceAll("[^\\n]", " ")));
        }
        m.appendTail(out);
        return out.toString();
    }
}
