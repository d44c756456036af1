package dev.ferry.proxy.http;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.OpensslPki;
import dev.ferry.testing.Requirements;
import dev.ferry.transport.TlsHandshakeFailures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What start-up (and so {@code ferry validate}, and a reload) refuses in a frontend's TLS files and settings, each
 * problem placed at its key and naming the file: an expired certificate, a CA file that is not one, OCSP responses
 * that are not usable (not DER, for another certificate, revoked), a bad ticket key file, cipher and group names
 * the provider does not have, TLS 1.3 suites BoringSSL cannot set. Files made by openssl at test time.
 */
@Timeout(90)
class TlsFilesTest {
    @TempDir
    static Path dir;
    private static OpensslPki pki;

    @BeforeAll
    static void makePki() throws Exception {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        pki = new OpensslPki(dir);
        pki.ca("ca").ca("other-ca");
        pki.signed("site", "a.test", "DNS:a.test", "ca", 2);
        pki.signed("expired", "old.test", "DNS:old.test", "ca", -1);
        pki.signed("other", "b.test", "DNS:b.test", "ca", 2);
        pki.ocsp("other", "ca", false, 1);
        pki.signed("revoked", "r.test", "DNS:r.test", "ca", 2);
        pki.ocsp("revoked", "ca", true, 1);
    }

    private static FerryConfig config(String tls) throws ConfigException {
        return ConfigLoader.parse("""
                frontends:
                  - name: front
                    listen: 127.0.0.1:0
                    mode: http
                    tls:
                %s
                    routes: [ { backend: pool } ]
                backends:
                  - { name: pool, servers: [ { name: o, address: 127.0.0.1:9 } ] }
                """.formatted(tls.indent(6).stripTrailing()), dir.resolve("ferry.yaml"));
    }

    private static String site(String extra) {
        return "certificates: [ { cert: site.pem, key: site.key" + extra + " } ]";
    }

    /** The one problem start-up finds. */
    private static ConfigProblem problem(String tls) throws Exception {
        FerryConfig config = config(tls);
        try {
            Balancer.loadTls(config, config.frontends().get(0), new TlsHandshakeFailures("front"));
        } catch (ConfigException e) {
            assertThat(e.problems()).hasSize(1);
            ConfigProblem p = e.problems().get(0);
            assertThat(p.message()).doesNotContain("Exception");
            assertThat(p.line()).isPositive();
            return p;
        }
        throw new AssertionError("loaded: " + tls);
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        ConfigProblem p = problem("certificates: [ { cert: expired.pem, key: expired.key } ]");
        assertThat(p.key()).isEqualTo("frontends[0].tls.certificates[0].cert");
        assertThat(p.message()).contains("the certificate O=Ferry tests,CN=old.test in " + dir.resolve("expired.pem")
                + " expired at ").contains("renew it");
    }

    @Test
    void aCertificateNotYetValidIsRefused() throws Exception {
        // openssl 3.0 cannot date a certificate into the future; the JDK's keytool can.
        Path keytool = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "f", "-keyalg", "RSA", "-keysize",
                "2048", "-dname", "CN=future.test", "-startdate", "+1d", "-validity", "2", "-keystore", "future.p12",
                "-storetype", "PKCS12", "-storepass", "changeit").directory(dir.toFile()).redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        pki.openssl("pkcs12", "-in", "future.p12", "-passin", "pass:changeit", "-nokeys", "-out", "future.pem");
        pki.openssl("pkcs12", "-in", "future.p12", "-passin", "pass:changeit", "-nocerts", "-nodes", "-out",
                "future.key");
        ConfigProblem problem = problem("certificates: [ { cert: future.pem, key: future.key } ]");
        assertThat(problem.key()).isEqualTo("frontends[0].tls.certificates[0].cert");
        assertThat(problem.message()).contains("the certificate CN=future.test in " + dir.resolve("future.pem")
                + " is not valid before ");
    }

    @Test
    void aCaFileMustHoldCaCertificates() throws Exception {
        Files.writeString(dir.resolve("garbage.pem"), "nothing here\n");
        ConfigProblem garbage = problem(site("") + "\nclient_auth: required\nca: garbage.pem");
        assertThat(garbage.key()).isEqualTo("frontends[0].tls.ca");
        assertThat(garbage.message()).contains(dir.resolve("garbage.pem") + " holds no PEM certificate");
        ConfigProblem key = problem(site("") + "\nclient_auth: optional\nca: site.key");
        assertThat(key.message()).contains("holds no PEM certificate").contains("it holds a private key");
        ConfigProblem missing = problem(site("") + "\nclient_auth: optional\nca: nothing.pem");
        assertThat(missing.message()).isEqualTo("cannot read CA certificate " + dir.resolve("nothing.pem")
                + ": no such file");
        ConfigProblem expired = problem(site("") + "\nclient_auth: optional\nca: expired.pem");
        assertThat(expired.message()).contains("the CA certificate O=Ferry tests,CN=old.test in "
                + dir.resolve("expired.pem") + " expired at");
    }

    @Test
    void unusableOcspResponsesAreRefused() throws Exception {
        Files.writeString(dir.resolve("text.ocsp"), "-----BEGIN SOMETHING-----\n");
        Files.write(dir.resolve("junk.ocsp"), new byte[]{0x30, 0x03, 0x0A, 0x01});
        ConfigProblem text = problem(site(", ocsp: text.ocsp"));
        assertThat(text.key()).isEqualTo("frontends[0].tls.certificates[0].ocsp");
        assertThat(text.message()).contains("is text (PEM?)");
        assertThat(problem(site(", ocsp: junk.ocsp")).message()).contains(dir.resolve("junk.ocsp")
                + " is not a DER OCSP response");
        // A successful basic response whose content is an empty sequence.
        Files.write(dir.resolve("empty.ocsp"), new byte[]{0x30, 0x16, 0x0A, 0x01, 0x00, (byte) 0xA0, 0x11, 0x30, 0x0F,
                0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01, 0x04, 0x02, 0x30, 0x00});
        assertThat(problem(site(", ocsp: empty.ocsp")).message()).isEqualTo(dir.resolve("empty.ocsp")
                + " is not a DER OCSP response (malformed); fetch one with: openssl ocsp -issuer ISSUER.pem -cert "
                + "CERT.pem -url URL -respout " + dir.resolve("empty.ocsp"));
        assertThat(problem(site(", ocsp: other.ocsp")).message()).contains(dir.resolve("other.ocsp")
                + " is an OCSP response for another certificate (serial "
                + new java.math.BigInteger(pki.serial("other"), 16).toString(16) + ")");
        assertThat(problem("certificates: [ { cert: revoked.pem, key: revoked.key, ocsp: revoked.ocsp } ]")
                .message()).contains("says the certificate O=Ferry tests,CN=r.test is revoked");
        assertThat(problem(site(", ocsp: none.ocsp")).message()).isEqualTo("cannot read OCSP response "
                + dir.resolve("none.ocsp") + ": no such file");
    }

    @Test
    void aTicketKeyFileMustHoldKeys() throws Exception {
        Files.writeString(dir.resolve("short.keys"), "# a comment\nAAAA\n");
        ConfigProblem p = problem(site("") + "\nticket_keys: short.keys");
        assertThat(p.key()).isEqualTo("frontends[0].tls.ticket_keys");
        assertThat(p.message()).isEqualTo(dir.resolve("short.keys") + " line 2 holds 3 bytes; a key is 48 bytes (16 "
                + "name, 16 HMAC, 16 AES-128), made with: openssl rand -base64 48");
        Files.writeString(dir.resolve("empty.keys"), "\n# nothing\n");
        assertThat(problem(site("") + "\nticket_keys: empty.keys").message()).contains("holds no key");
    }

    @Test
    void namesTheProviderDoesNotHaveAreRefused() throws Exception {
        ConfigProblem cipher = problem(site("") + "\nciphers: [ECDHE-RSA-AES128-GCM-SHA256, RC4-MD5]");
        assertThat(cipher.key()).isEqualTo("frontends[0].tls.ciphers");
        assertThat(cipher.message()).startsWith("'RC4-MD5' is not a TLS 1.2 cipher suite of ")
                .contains("ECDHE-RSA-AES128-GCM-SHA256");
        ConfigProblem group = problem(site("") + "\ngroups: [X25519, brainpool]");
        assertThat(group.key()).isEqualTo("frontends[0].tls.groups");
        assertThat(group.message()).isEqualTo("'brainpool' is not a key exchange group Ferry knows; allowed: X25519, "
                + "P-256 (secp256r1), P-384 (secp384r1), P-521 (secp521r1), X25519MLKEM768");
        if (dev.ferry.transport.TlsTerminator.defaultProvider() != io.netty.handler.ssl.SslProvider.JDK) {
            ConfigProblem suites = problem(site("") + "\nciphersuites: [TLS_AES_128_GCM_SHA256]");
            assertThat(suites.key()).isEqualTo("frontends[0].tls.ciphersuites");
            assertThat(suites.message()).contains("fixed set of TLS 1.3 suites");
        }
    }

    @Test
    void whatOnlyBoringSslDoesIsRefusedOnTheJdksTls() throws Exception {
        pki.ocsp("site", "ca", false, 1);
        System.setProperty("ferry.tls.provider", "jdk");
        try {
            ConfigProblem ocsp = problem(site(", ocsp: site.ocsp"));
            assertThat(ocsp.key()).isEqualTo("frontends[0].tls.certificates[0].ocsp");
            assertThat(ocsp.message()).isEqualTo("OCSP stapling from a file needs BoringSSL (netty-tcnative), and "
                    + "this process runs on the JDK's TLS");
            assertThat(problem(site("") + "\nsession_tickets: false").key())
                    .isEqualTo("frontends[0].tls.session_tickets");
            assertThat(problem(site("") + "\nsession_cache: false").key()).isEqualTo("frontends[0].tls.session_cache");
            ConfigProblem suite = problem(site("") + "\nciphersuites: [TLS_AES_128_CCM_8_SHA256]");
            assertThat(suite.message()).startsWith("'TLS_AES_128_CCM_8_SHA256' is not a TLS 1.3 suite this Java "
                    + "runtime has");
        } finally {
            System.clearProperty("ferry.tls.provider");
        }
    }
}
