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
    void tlsFilesOfTheSecondKindAreRefusedByBoth() throws Exception {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        dev.ferry.testing.OpensslPki pki = new dev.ferry.testing.OpensslPki(dir);
        pki.ca("ca");
        pki.signed("old", "old.test", "DNS:old.test", "ca", -1);
        pki.signed("site", "a.test", "DNS:a.test", "ca", 2);
        Files.write(dir.resolve("junk.ocsp"), new byte[]{0x30, 0x03, 0x0A, 0x01});
        Files.writeString(dir.resolve("bad.keys"), "not base64 !\n");
        Path file = file("""
                frontends:
                  - name: expired
                    listen: 127.0.0.1:0
                    mode: http
                    tls: { certificates: [ { cert: old.pem, key: old.key } ] }
                    routes: [ { backend: pool } ]
                  - name: bad-ca
                    listen: 127.0.0.1:0
                    mode: http
                    tls: { certificates: [ { cert: site.pem, key: site.key } ], client_auth: required, ca: site.key }
                    routes: [ { backend: pool } ]
                  - name: bad-ocsp
                    listen: 127.0.0.1:0
                    backend: pool
                    tls: { certificates: [ { cert: site.pem, key: site.key, ocsp: junk.ocsp } ] }
                  - name: bad-ticket-keys
                    listen: 127.0.0.1:0
                    backend: pool
                    tls: { certificates: [ { cert: site.pem, key: site.key } ], ticket_keys: bad.keys }
                  - name: unknown-cipher
                    listen: 127.0.0.1:0
                    backend: pool
                    tls: { certificates: [ { cert: site.pem, key: site.key } ], ciphers: [NO-SUCH-CIPHER] }
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                """);

        Outcome validate = ferry("validate", file);
        Outcome run = ferry("run", file);

        assertThat(validate.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(validate.problems()).hasSize(5).containsExactlyElementsOf(run.problems());
        assertThat(String.join("\n", validate.problems()))
                .contains("frontends[0].tls.certificates[0].cert: the certificate O=Ferry tests,CN=old.test in "
                        + dir.resolve("old.pem") + " expired at ")
                .contains("frontends[1].tls.ca: " + dir.resolve("site.key") + " holds no PEM certificate")
                .contains("frontends[2].tls.certificates[0].ocsp: " + dir.resolve("junk.ocsp")
                        + " is not a DER OCSP response")
                .contains("frontends[3].tls.ticket_keys: " + dir.resolve("bad.keys") + " line 1 is not base64")
                .contains("frontends[4].tls.ciphers: 'NO-SUCH-CIPHER' is not a TLS 1.2 cipher suite")
                .doesNotContain("Exception");
    }

    @Test
    void theFilesOfTlsToServersAreCheckedByBoth() throws Exception {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ferry-client",
                "-keyout", "client.key", "-out", "client.pem");
        openssl("genrsa", "-out", "other.key", "2048");
        Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        Path file = file("""
                frontends:
                  - { name: f, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - name: pool
                    tls: { ca: no-such-ca.pem }
                    servers: [ { address: 127.0.0.1:9 } ]
                  - name: mtls
                    tls: { client_cert: { cert: client.pem, key: other.key } }
                    servers:
                      - { address: 127.0.0.1:9 }
                      - { address: 127.0.0.1:10, tls: { ca: garbage.pem } }
                """);
        Outcome validate = ferry("validate", file);
        Outcome run = ferry("run", file);
        assertThat(validate.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.stdout()).as("run started nothing").doesNotContain("started");
        assertThat(validate.problems()).hasSize(2).containsExactlyElementsOf(run.problems());
        assertThat(String.join("\n", validate.problems()))
                .contains(":5:12: backends[0].tls.ca: cannot read certificate authority "
                        + dir.resolve("no-such-ca.pem") + ": no such file")
                .contains("backends[1].tls.client_cert.key: the key " + dir.resolve("other.key")
                        + " does not belong to the certificate " + dir.resolve("client.pem"))
                .doesNotContain("Exception");
        // The server's own ca: is checked once the backend's files are right.
        Files.copy(dir.resolve("client.key"), dir.resolve("other.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve("client.pem"), dir.resolve("no-such-ca.pem"));
        Outcome again = ferry("validate", file);
        assertThat(again.problems()).hasSize(1);
        assertThat(again.problems().getFirst()).contains(": backends[1].servers[1].tls.ca: "
                + dir.resolve("garbage.pem") + " holds no PEM certificate");
    }

    @Test
    void badRouteActionsAreRefusedByBothWithTheSameWords() throws Exception {
        Path file = file("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                      - { match: { path_prefix: /a/ }, backend: pool, redirect: { scheme: https } }
                      - { match: { path: /b }, redirect: { code: 304, scheme: https } }
                      - { backend: pool, request_headers: { set: { Content-Length: "1", X-Id: $requestid } } }
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9 } ] }
                """);
        Outcome validate = ferry("validate", file);
        Outcome run = ferry("run", file);
        assertThat(validate.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.exit()).isEqualTo(Ferry.EXIT_CONFIG);
        assertThat(run.stdout()).as("run started nothing").doesNotContain("started");
        assertThat(validate.problems()).hasSize(4).containsExactlyElementsOf(run.problems());
        assertThat(String.join("\n", validate.problems()))
                .contains(":6:55: frontends[0].routes[0].redirect: a route has exactly one of backend:, redirect: "
                        + "and return:")
                .contains(":7:50: frontends[0].routes[1].redirect.code: '304' is not allowed")
                .contains("frontends[0].routes[2].request_headers.set.Content-Length: 'Content-Length' may not be "
                        + "rewritten")
                .contains("frontends[0].routes[2].request_headers.set.X-Id: unknown variable '$requestid'; did you "
                        + "mean '$request_id'?")
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
