package dev.ferry.proxy.http;

import dev.ferry.admin.MetricsExporter;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.TlsHandshakeFailures.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The key forms operators have (PKCS#1 RSA, SEC1 EC, encrypted PKCS#8), made by openssl at test time and proved with
 * real handshakes by curl; a key that belongs to another certificate is refused at start; failed handshakes are
 * counted by reason.
 */
@Timeout(90)
class TlsKeysTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;

    @BeforeEach
    void tools() {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        Requirements.requireCommand("curl", "apt-get install curl");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** Runs a command in the temporary directory; returns its output, failing the test when it fails. */
    private String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    /** A self-signed certificate for {@code key} (name.pem). */
    private void certificate(String name, String key, String... passin) throws Exception {
        List<String> c = new ArrayList<>(List.of("openssl", "req", "-x509", "-new", "-key", key, "-days", "2",
                "-subj", "/CN=" + name + ".test", "-addext", "subjectAltName=DNS:" + name + ".test",
                "-out", name + ".pem"));
        c.addAll(List.of(passin));
        run(c.toArray(String[]::new));
    }

    private InetSocketAddress start(String certificateEntry) throws Exception {
        TestServer origin = Origin.naming("origin");
        resources.add(origin);
        balancer = new Balancer(config(certificateEntry, new InetSocketAddress("127.0.0.1", origin.port())), 1);
        balancer.start();
        return balancer.address("front");
    }

    private dev.ferry.config.FerryConfig config(String certificateEntry, InetSocketAddress origin)
            throws ConfigException {
        return ConfigLoader.parse("""
                frontends:
                  - name: front
                    listen: 127.0.0.1:0
                    mode: http
                    tls:
                      certificates:
                        - %s
                    routes: [ { backend: pool } ]
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(certificateEntry, origin.getHostString() + ":" + origin.getPort()),
                dir.resolve("ferry.yaml"));
    }

    /** One request with curl over TLS (certificate not verified); returns the body. */
    private String curl(InetSocketAddress at, String... extra) throws Exception {
        List<String> c = new ArrayList<>(List.of("curl", "-sS", "-k", "--max-time", "10"));
        c.addAll(List.of(extra));
        c.add("https://127.0.0.1:" + at.getPort() + "/");
        return run(c.toArray(String[]::new));
    }

    @Test
    void pkcs1RsaKeyServesHandshakes() throws Exception {
        run("openssl", "genrsa", "-traditional", "-out", "rsa.key", "2048");
        assertThat(Files.readString(dir.resolve("rsa.key"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        certificate("rsa", "rsa.key");
        InetSocketAddress at = start("{ cert: rsa.pem, key: rsa.key }");
        assertThat(curl(at, "--tlsv1.2", "--tls-max", "1.2")).isEqualTo("origin");
        assertThat(curl(at, "--tlsv1.3")).isEqualTo("origin");
    }

    @Test
    void sec1EcKeyWithItsParametersBlockServesHandshakes() throws Exception {
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.key");
        String key = Files.readString(dir.resolve("ec.key"));
        assertThat(key).startsWith("-----BEGIN EC PARAMETERS-----").contains("-----BEGIN EC PRIVATE KEY-----");
        certificate("ec", "ec.key");
        InetSocketAddress at = start("{ cert: ec.pem, key: ec.key }");
        assertThat(curl(at, "--tlsv1.2", "--tls-max", "1.2")).isEqualTo("origin");
        assertThat(curl(at, "--tlsv1.3")).isEqualTo("origin");
    }

    @Test
    void encryptedPkcs8KeyWithAPassphraseFileServesHandshakes() throws Exception {
        Files.writeString(dir.resolve("key.pass"), "correct horse\n");
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc",
                "-pass", "file:key.pass", "-out", "enc.key");
        assertThat(Files.readString(dir.resolve("enc.key"))).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        certificate("enc", "enc.key", "-passin", "file:key.pass");
        InetSocketAddress at = start("{ cert: enc.pem, key: enc.key, key_password_file: key.pass }");
        assertThat(curl(at)).isEqualTo("origin");
    }

    @Test
    void encryptedKeyWithoutOrWithAWrongPassphraseIsRefusedWithWhatToDo() throws Exception {
        Files.writeString(dir.resolve("key.pass"), "right\n");
        Files.writeString(dir.resolve("wrong.pass"), "wrong\n");
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-256-cbc",
                "-pass", "file:key.pass", "-out", "enc.key");
        certificate("enc", "enc.key", "-passin", "file:key.pass");
        InetSocketAddress origin = new InetSocketAddress("127.0.0.1", TestServer.closedPort());

        ConfigProblem missing = startupProblem(config("{ cert: enc.pem, key: enc.key }", origin));
        assertThat(missing.key()).isEqualTo("frontends[0].tls.certificates[0].key");
        assertThat(missing.message()).contains(dir.resolve("enc.key").toString()).contains("is encrypted")
                .contains("set key_password_file").doesNotContain("Exception");

        ConfigProblem wrong = startupProblem(config("{ cert: enc.pem, key: enc.key, key_password_file: wrong.pass }",
                origin));
        assertThat(wrong.key()).isEqualTo("frontends[0].tls.certificates[0].key_password_file");
        assertThat(wrong.message()).contains("cannot decrypt").contains("wrong passphrase")
                .contains(dir.resolve("wrong.pass").toString());
    }

    @Test
    void aKeyOfAnotherCertificateIsRefusedNamingBothFiles() throws Exception {
        run("openssl", "genrsa", "-out", "one.key", "2048");
        run("openssl", "genrsa", "-out", "two.key", "2048");
        certificate("one", "one.key");
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
        InetSocketAddress origin = new InetSocketAddress("127.0.0.1", TestServer.closedPort());

        ConfigProblem rsa = startupProblem(config("{ cert: one.pem, key: two.key }", origin));
        assertThat(rsa.key()).isEqualTo("frontends[0].tls.certificates[0].key");
        assertThat(rsa.message()).contains("the key " + dir.resolve("two.key") + " does not belong to the certificate "
                + dir.resolve("one.pem"));
        ConfigProblem ec = startupProblem(config("{ cert: one.pem, key: ec.key }", origin));
        assertThat(ec.message()).contains("does not belong to the certificate");
    }

    /** The one problem start-up finds with {@code config}. */
    private static ConfigProblem startupProblem(dev.ferry.config.FerryConfig config) throws Exception {
        Balancer b = new Balancer(config, 1);
        try {
            b.start();
            throw new AssertionError("started with an unusable key");
        } catch (ConfigException e) {
            assertThat(e.problems()).hasSize(1);
            return e.problems().get(0);
        } finally {
            b.close();
        }
    }

    @Test
    void failedHandshakesAreCountedByReasonAndExported() throws Exception {
        run("openssl", "genrsa", "-out", "site.key", "2048");
        certificate("site", "site.key");
        InetSocketAddress at = start("{ cert: site.pem, key: site.key }");

        try (Socket plain = new Socket(at.getAddress(), at.getPort())) {
            OutputStream out = plain.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            plain.setSoTimeout(10_000);
            plain.getInputStream().readAllBytes();
        } catch (IOException ignored) {
            // a reset is a fine answer to plain text
        }
        // curl verifying the self-signed certificate refuses it: an alert from the client (TLS 1.2: with TLS 1.3
        // BoringSSL reports the alert as BAD_PACKET_LENGTH, counted as other)
        Process verifying = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--tls-max", "1.2",
                "https://127.0.0.1:" + at.getPort() + "/").redirectErrorStream(true).start();
        verifying.getInputStream().readAllBytes();
        assertThat(verifying.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(verifying.exitValue()).isNotZero();
        // TLS 1.1 at most: Ferry takes 1.2 and 1.3 only
        Process old = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + at.getPort(),
                "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0").redirectErrorStream(true).start();
        old.getOutputStream().close();
        old.getInputStream().readAllBytes();
        assertThat(old.waitFor(30, TimeUnit.SECONDS)).isTrue();

        var failures = balancer.tlsHandshakeFailures().get("front");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(java.util.Arrays.stream(Reason.values()).map(r -> r + "=" + failures.count(r)).toList())
                    .contains("NOT_TLS=1", "CERTIFICATE_REFUSED=1", "PROTOCOL_VERSION=1");
            assertThat(failures.count(Reason.NOT_TLS)).isEqualTo(1);
            assertThat(failures.count(Reason.CERTIFICATE_REFUSED)).isEqualTo(1);
            assertThat(failures.count(Reason.PROTOCOL_VERSION)).isEqualTo(1);
        });
        assertThat(curl(at)).isEqualTo("origin");
        assertThat(failures.count(Reason.OTHER)).isZero();
        try (MetricsExporter metrics = new MetricsExporter(balancer)) {
            assertThat(metrics.scrape())
                    .contains("ferry_tls_handshake_failures_total{frontend=\"front\",reason=\"not_tls\"} 1.0")
                    .contains("ferry_tls_handshake_failures_total{frontend=\"front\",reason=\"certificate_refused\"} 1.0")
                    .contains("ferry_tls_handshake_failures_total{frontend=\"front\",reason=\"protocol_version\"} 1.0")
                    .contains("ferry_tls_handshake_failures_total{frontend=\"front\",reason=\"timeout\"} 0.0");
        }
    }
}
