package dev.ferry;

import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ferry validate} and {@code ferry run}, as processes, on the same bad files: both refuse them with exit 1 and
 * print the same problems, one line each, naming file, line, column and key.
 */
@Timeout(120)
class ValidateAgreesWithRunTest {
    @TempDir
    Path dir;

    private record Outcome(int exit, List<String> problems, String stdout) {
    }

    private Outcome ferry(String command, Path file) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "dev.ferry.Ferry", command, "-c", file.toString())
                .redirectOutput(dir.resolve(command + ".out").toFile())
                .redirectError(dir.resolve(command + ".err").toFile()).start();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(ended).as(command + " ended by itself").isTrue();
        List<String> problems = Files.readAllLines(dir.resolve(command + ".err")).stream()
                .filter(l -> l.startsWith(file.toString() + ":") && !l.endsWith("problem(s)")).toList();
        return new Outcome(p.exitValue(), problems, Files.readString(dir.resolve(command + ".out")));
    }

    private void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }

    private Path file(String yaml) throws IOException {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void validateRefusesWhatRunRefusesWithTheSameWords() throws Exception {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=a.test",
                "-keyout", "a.key", "-out", "a.pem");
        openssl("genrsa", "-out", "other.key", "2048");
        Files.writeString(dir.resolve("garbage.key"), "not a key\n");
        Path file = file("""
                admin:
                  listen: 0.0.0.0:0
                access_log:
                  path: no-such-dir/access.log
                frontends:
                  - name: missing-cert
                    listen: 127.0.0.1:0
                    mode: http
                    tls: { certificates: [ { cert: nothing.pem, key: a.key } ] }
                    routes: [ { backend: pool } ]
                  - name: mismatch
                    listen: 127.0.0.1:0
                    mode: http
                    tls: { certificates: [ { cert: a.pem, key: other.key } ] }
                    routes: [ { backend: pool } ]
                  - name: unusable-key
                    listen: 127.0.0.1:0
                    mode: tcp
                    backend: pool
                    tls: { certificates: [ { cert: a.pem, key: garbage.key } ] }
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                """);

        Outcome validate = ferry("validate", file);
        Outcome run = ferry("run", file);

        assertThat(validate.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.stdout()).as("run started nothing").doesNotContain("started");
        assertThat(validate.problems()).hasSize(5).containsExactlyElementsOf(run.problems());
        assertThat(String.join("\n", validate.problems()))
                .contains(":2:3: admin.listen: 0.0.0.0:0 is not a loopback address; set admin.token_file")
                .contains(":4:3: access_log.path: cannot open " + dir.resolve("no-such-dir/access.log")
                        + " for appending: the directory " + dir.resolve("no-such-dir") + " does not exist")
                .contains("frontends[0].tls.certificates[0].cert: cannot read certificate "
                        + dir.resolve("nothing.pem") + ": no such file")
                .contains("frontends[1].tls.certificates[0].key: the key " + dir.resolve("other.key")
                        + " does not belong to the certificate " + dir.resolve("a.pem"))
                .contains("frontends[2].tls.certificates[0].key: " + dir.resolve("garbage.key")
                        + " holds no PEM private key")
                .doesNotContain("Exception");
    }

    @Test
    void aBadNetworkFileAndAMisplacedRateLimitAreRefusedByBoth() throws Exception {
        Files.writeString(dir.resolve("blocked.nets"), "10.0.0.0/8\nnot-a-network\n");
        Path file = file("""
                frontends:
                  - name: f
                    listen: 127.0.0.1:0
                    backend: pool
                    deny_file: blocked.nets
                    rate_limit: { requests_per_second: 5 }
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                """);
        Outcome validate = ferry("validate", file);
        Outcome run = ferry("run", file);
        assertThat(validate.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.stdout()).as("run started nothing").doesNotContain("started");
        assertThat(validate.problems()).hasSize(1).containsExactlyElementsOf(run.problems());
        assertThat(validate.problems().getFirst()).contains(":6:19: frontends[0].rate_limit.requests_per_second: "
                + "requests_per_second limits HTTP requests");
        String networkLine = dir.resolve("blocked.nets") + ":2:1: frontends[0].deny_file: 'not-a-network' is not a "
                + "network";
        assertThat(Files.readString(dir.resolve("validate.err"))).contains(networkLine).doesNotContain("Exception");
        assertThat(Files.readString(dir.resolve("run.err"))).contains(networkLine).doesNotContain("Exception");
    }

    @Test
    void anEmptyTokenFileIsRefusedByBoth() throws Exception {
        Files.writeString(dir.resolve("admin.token"), "\n");
        Path file = file("""
                admin: { listen: 127.0.0.1:0, token_file: admin.token }
                frontends:
                  - { name: f, listen: 127.0.0.1:0, backend: pool }
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                """);
        Outcome validate = ferry("validate", file);
        Outcome run = ferry("run", file);
        assertThat(validate.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(validate.problems()).hasSize(1).containsExactlyElementsOf(run.problems());
        assertThat(validate.problems().get(0)).contains("admin.token_file: " + dir.resolve("admin.token")
                + " is empty");
    }
}
