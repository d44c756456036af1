package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.ReloadReport;
import dev.ferry.testing.OpensslPki;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.TlsHandshakeFailures;
import dev.ferry.transport.TlsHandshakeFailures.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 20 item 9, the frontend half: the handshake policy ({@code min_version}, {@code ciphers}, {@code groups}),
 * session tickets and their keys, OCSP stapling, client certificates and the headers that carry them, and
 * certificates reloaded under live connections, each proved with real clients: openssl s_client, curl and the JDK's
 * TLS. The certificates come from a test CA made by openssl ({@link OpensslPki}).
 */
@Timeout(120)
class FrontendTlsTest {
    @TempDir
    static Path shared;
    private static OpensslPki pki;
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;
    private Origin seen;

    @BeforeAll
    static void makePki() throws Exception {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        Requirements.requireCommand("curl", "apt-get install curl");
        pki = new OpensslPki(shared);
        pki.ca("ca").ca("other-ca");
        pki.signed("site", "a.test", "DNS:a.test", "ca", 2);
        pki.signed("renewed", "a.test renewed", "DNS:a.test", "ca", 2);
        pki.signed("alice", "alice", null, "ca", 2);
        pki.signed("mallory", "mallory", null, "other-ca", 2);
        pki.ocsp("site", "ca", false, 1);
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

    private String yaml(String tls) {
        return """
                frontends:
                  - name: front
                    listen: 127.0.0.1:%d
                    mode: http
                    tls:
                %s
                    routes: [ { backend: pool } ]
                backends:
                  - { name: pool, servers: [ { name: o, address: 127.0.0.1:%d } ] }
                """.formatted(balancer == null ? 0 : balancer.address("front").getPort(), tls.indent(6).stripTrailing(),
                origin.port());
    }

    private TestServer origin;

    /** Ferry in front of an origin that answers with the client certificate headers it received. */
    private InetSocketAddress start(String tls) throws Exception {
        seen = new Origin();
        origin = Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "subject=" + r.header("x-client-cert-subject") + " issuer="
                    + r.header("x-client-cert-issuer") + " verified=" + r.header("x-client-cert-verified"));
            return true;
        }, seen);
        resources.add(origin);
        balancer = new Balancer(config(yaml(tls)), 1);
        balancer.start();
        return balancer.address("front");
    }

    private FerryConfig config(String yaml) throws Exception {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.parse(yaml, file);
    }

    private static String certificates(String... extra) {
        String site = "- { cert: %s, key: %s%s }".formatted(pki.file("site.pem"), pki.file("site.key"),
                extra.length > 0 ? ", " + extra[0] : "");
        return "certificates:\n  " + site;
    }

    private record Run(int exit, String output) {
    }

    /** Runs a command with a deadline; its output and exit status. */
    private Run run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /**
     * One request through {@code openssl s_client} (SNI a.test; the server's certificate is checked against the test
     * CA); the client waits for the response and the close.
     */
    private Run sClient(InetSocketAddress at, String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + at.getPort(),
                "-servername", "a.test", "-CAfile", pki.file("ca.pem").toString(), "-ign_eof"));
        c.addAll(List.of(args));
        Process p = new ProcessBuilder(c).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** One request with curl, verifying Ferry's certificate against the test CA. */
    private Run curl(InetSocketAddress at, String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "--cacert",
                pki.file("ca.pem").toString(), "--resolve", "a.test:" + at.getPort() + ":127.0.0.1"));
        c.addAll(List.of(args));
        c.add("https://a.test:" + at.getPort() + "/");
        return run(c.toArray(String[]::new));
    }

    private TlsHandshakeFailures failures() {
        return balancer.tlsHandshakeFailures().get("front");
    }

    @Test
    void minVersionTls13RefusesATls12Client() throws Exception {
        InetSocketAddress at = start(certificates() + "\nmin_version: TLSv1.3");
        Run old = sClient(at, "-tls1_2");
        assertThat(old.output()).doesNotContain("HTTP/1.1 200");
        Run fresh = sClient(at, "-tls1_3");
        assertThat(fresh.output()).contains("HTTP/1.1 200").contains("Protocol  : TLSv1.3")
                .contains("Verify return code: 0 (ok)");
        await().atMost(Duration.ofSeconds(10)).until(() -> failures().count(Reason.PROTOCOL_VERSION) == 1);
        // The default takes both.
        balancer.reload(config(yaml(certificates())));
        assertThat(sClient(at, "-tls1_2").output()).contains("HTTP/1.1 200").contains("Protocol  : TLSv1.2");
    }

    @Test
    void ciphersAndGroupsChooseWhatIsNegotiated() throws Exception {
        // One OpenSSL name and one IANA name.
        InetSocketAddress at = start(certificates() + """

                ciphers: [ECDHE-RSA-AES256-GCM-SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]
                groups: [P-384]""");
        Run chosen = sClient(at, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384");
        assertThat(chosen.output()).contains("HTTP/1.1 200").contains("Cipher is ECDHE-RSA-AES256-GCM-SHA384");
        Run iana = sClient(at, "-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305");
        assertThat(iana.output()).contains("HTTP/1.1 200").contains("ECDHE-RSA-CHACHA20-POLY1305");
        Run none = sClient(at, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        assertThat(none.output()).doesNotContain("HTTP/1.1 200");
        await().atMost(Duration.ofSeconds(10)).until(() -> failures().count(Reason.NO_SHARED_CIPHER) == 1);

        // TLS 1.3 still works (its suites are not touched by ciphers), on the one group allowed.
        Run p384 = sClient(at, "-tls1_3", "-groups", "X25519:P-384");
        assertThat(p384.output()).contains("HTTP/1.1 200").containsPattern("Server Temp Key: ECDH, (P-384|secp384r1)");
        Run x25519 = sClient(at, "-tls1_3", "-groups", "X25519");
        assertThat(x25519.output()).doesNotContain("HTTP/1.1 200");
    }

    @Test
    void sessionTicketsResumeAndCanBeSwitchedOff() throws Exception {
        // No session cache: only a ticket can resume.
        InetSocketAddress at = start(certificates() + "\nsession_cache: false");
        for (String version : List.of("-tls1_2", "-tls1_3")) {
            Path session = dir.resolve("session" + version);
            Run first = sClient(at, version, "-sess_out", session.toString());
            assertThat(first.output()).contains("HTTP/1.1 200").contains("New, TLSv1.");
            Run again = sClient(at, version, "-sess_in", session.toString());
            assertThat(again.output()).as(version).contains("HTTP/1.1 200").contains("Reused, TLSv1.");
        }
        // Ferry's own keys outlive a reload: a ticket from before it still resumes.
        Path before = dir.resolve("before-reload");
        sClient(at, "-tls1_2", "-sess_out", before.toString());
        balancer.reload(config(yaml(certificates("ocsp: " + pki.file("site.ocsp")) + "\nsession_cache: false")));
        assertThat(sClient(at, "-tls1_2", "-sess_in", before.toString()).output()).contains("Reused, TLSv1.2");

        balancer.reload(config(yaml(certificates() + "\nsession_cache: false\nsession_tickets: false")));
        Path off = dir.resolve("off");
        assertThat(sClient(at, "-tls1_2", "-sess_out", off.toString()).output()).contains("HTTP/1.1 200")
                .doesNotContain("TLS session ticket lifetime hint");
        // Nothing to resume with: s_client writes no session at all (no ticket, no id).
        assertThat(off).doesNotExist();
        assertThat(sClient(at, "-tls1_2", "-sess_in", before.toString()).output()).contains("HTTP/1.1 200")
                .contains("New, TLSv1.2").doesNotContain("Reused");
    }

    private static String key() {
        byte[] b = new byte[48];
        new java.security.SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void ticketKeysFromAFileRotateByReload() throws Exception {
        String k1 = key();
        String k2 = key();
        Path keys = dir.resolve("tickets.keys");
        Files.writeString(keys, "# first line encrypts\n" + k1 + "\n");
        String tls = certificates() + "\nsession_cache: false\nticket_keys: " + keys;
        InetSocketAddress at = start(tls);
        Path s1 = dir.resolve("s1");
        assertThat(sClient(at, "-tls1_2", "-sess_out", s1.toString()).output()).contains("New, TLSv1.2");
        assertThat(sClient(at, "-tls1_2", "-sess_in", s1.toString()).output()).contains("Reused, TLSv1.2");

        // A new first key; the old one still decrypts.
        Files.writeString(keys, k2 + "\n" + k1 + "\n");
        ReloadReport report = balancer.reload(config(yaml(tls)));
        assertThat(report.toString()).contains("TLS certificates and settings reloaded");
        assertThat(sClient(at, "-tls1_2", "-sess_in", s1.toString()).output()).contains("Reused, TLSv1.2");

        // The old key gone: its tickets no longer resume.
        Files.writeString(keys, k2 + "\n");
        balancer.reload(config(yaml(tls)));
        assertThat(sClient(at, "-tls1_2", "-sess_in", s1.toString()).output()).contains("New, TLSv1.2");
    }

    @Test
    void ocspResponseIsStapled() throws Exception {
        InetSocketAddress at = start(certificates("ocsp: " + pki.file("site.ocsp")));
        Run r = sClient(at, "-status");
        assertThat(r.output()).contains("HTTP/1.1 200").contains("OCSP Response Status: successful")
                .contains("Cert Status: good");
        // A fresh response in the same file is stapled after a reload.
        String before = thisUpdate(r.output());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
            pki.ocsp("site", "ca", false, 1);
            return !thisUpdate(pki.openssl("ocsp", "-respin", "site.ocsp", "-resp_text", "-noverify")).equals(before);
        });
        balancer.reload(config(yaml(certificates("ocsp: " + pki.file("site.ocsp")))));
        assertThat(thisUpdate(sClient(at, "-status").output())).isNotEqualTo(before);
        // Without ocsp: no staple.
        balancer.reload(config(yaml(certificates())));
        assertThat(sClient(at, "-status").output()).contains("HTTP/1.1 200").contains("no response sent");
    }

    private static String thisUpdate(String output) {
        return output.lines().filter(l -> l.strip().startsWith("This Update:")).findFirst().orElse("none").strip();
    }

    private String mtls(String mode) {
        return certificates() + "\nclient_auth: " + mode + "\nca: " + pki.file("ca.pem");
    }

    private String[] as(String name) {
        return new String[]{"--cert", pki.file(name + ".pem").toString(), "--key", pki.file(name + ".key").toString()};
    }

    @Test
    void requiredClientCertificatesRefuseClientsWithoutOneOrFromAnotherCa() throws Exception {
        InetSocketAddress at = start(mtls("required"));
        Run alice = curl(at, as("alice"));
        assertThat(alice.output()).isEqualTo("subject=O=Ferry tests,CN=alice issuer=O=Ferry tests,CN=ca "
                + "verified=SUCCESS");
        Run nobody = curl(at);
        assertThat(nobody.exit()).isNotZero();
        Run mallory = curl(at, as("mallory"));
        assertThat(mallory.exit()).isNotZero();
        assertThat(sClient(at, "-cert", pki.file("alice.pem").toString(), "-key", pki.file("alice.key").toString())
                .output()).contains("HTTP/1.1 200");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(java.util.Arrays.stream(Reason.values()).map(r -> r + "=" + failures().count(r)).toList())
                    .contains("CLIENT_CERTIFICATE_MISSING=1", "CLIENT_CERTIFICATE_INVALID=1");
            assertThat(failures().count(Reason.CLIENT_CERTIFICATE_MISSING)).isEqualTo(1);
            assertThat(failures().count(Reason.CLIENT_CERTIFICATE_INVALID)).isEqualTo(1);
        });
        assertThat(seen.requests).hasSize(2);
        try (dev.ferry.admin.MetricsExporter metrics = new dev.ferry.admin.MetricsExporter(balancer)) {
            String series = "ferry_tls_handshake_failures_total{frontend=\"front\",reason=\"";
            assertThat(metrics.scrape()).contains(series + "client_certificate_missing\"} 1.0")
                    .contains(series + "client_certificate_invalid\"} 1.0");
        }
    }

    @Test
    void aTcpFrontendChecksClientCertificatesToo() throws Exception {
        // Answers the first line with "pong: LINE" and closes (so s_client ends).
        TestServer echo = TestServer.start("pong", socket -> {
            String line = Origin.readLine(socket.getInputStream());
            socket.getOutputStream().write(("pong: " + line + "\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.close();
        });
        resources.add(echo);
        String yaml = """
                frontends:
                  - name: front
                    listen: 127.0.0.1:0
                    backend: pool
                    tls:
                %s
                backends:
                  - { name: pool, servers: [ { name: o, address: 127.0.0.1:%d } ] }
                """.formatted(mtls("required").indent(6).stripTrailing(), echo.port());
        balancer = new Balancer(config(yaml), 1);
        balancer.start();
        InetSocketAddress at = balancer.address("front");
        Run alice = sClient(at, "-cert", pki.file("alice.pem").toString(), "-key", pki.file("alice.key").toString());
        assertThat(alice.output()).contains("pong: GET / HTTP/1.1").contains("Verify return code: 0 (ok)");
        Run nobody = sClient(at);
        assertThat(nobody.output()).doesNotContain("pong");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> failures().count(Reason.CLIENT_CERTIFICATE_MISSING) == 1);
    }

    @Test
    void optionalClientCertificatesLetBothThroughAndHeadersCannotBeForged() throws Exception {
        InetSocketAddress at = start(mtls("optional"));
        String[] forged = {"-H", "X-Client-Cert-Subject: CN=admin", "-H", "x-client-cert-verified: SUCCESS"};
        Run alice = curl(at, concat(as("alice"), forged));
        assertThat(alice.output()).isEqualTo("subject=O=Ferry tests,CN=alice issuer=O=Ferry tests,CN=ca "
                + "verified=SUCCESS");
        Run nobody = curl(at, forged);
        assertThat(nobody.exit()).isZero();
        assertThat(nobody.output()).isEqualTo("subject=null issuer=null verified=NONE");
        // A certificate that does not verify is refused even when optional (as nginx's optional).
        assertThat(curl(at, as("mallory")).exit()).isNotZero();
        assertThat(seen.requests.get(1).all("x-client-cert-subject")).isEmpty();

        // Header names of one's own; over HTTP/2 too.
        balancer.reload(config(yaml(mtls("optional") + "\nclient_cert_headers: { subject: ssl-client-s-dn, "
                + "issuer: ssl-client-i-dn, verified: ssl-client-verify }")));
        Run h2 = curl(at, concat(as("alice"), new String[]{"--http2", "-H", "X-Client-Cert-Subject: CN=admin"}));
        assertThat(h2.exit()).isZero();
        Origin.Request last = seen.requests.get(seen.requests.size() - 1);
        assertThat(last.header("ssl-client-s-dn")).isEqualTo("O=Ferry tests,CN=alice");
        assertThat(last.header("ssl-client-verify")).isEqualTo("SUCCESS");
        // The default names are the servers' own again once the names moved.
        assertThat(last.header("x-client-cert-subject")).isEqualTo("CN=admin");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static SSLSocket jdkClient(InetSocketAddress at) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[]{new TlsTerminationTest.TrustAll()}, null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(at.getAddress(), at.getPort());
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("a.test")));
        p.setApplicationProtocols(new String[]{"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static String subject(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    private static String get(SSLSocket s) throws IOException {
        s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String status = Origin.readLine(in);
        int length = 0;
        for (String h; !(h = Origin.readLine(in)).isEmpty(); ) {
            if (h.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).strip());
            }
        }
        in.readNBytes(length);
        return status;
    }

    @Test
    void aReloadSwapsTheCertificateWhileOpenConnectionsCarryOn() throws Exception {
        Path cert = dir.resolve("live.pem");
        Path key = dir.resolve("live.key");
        Files.copy(pki.file("site.pem"), cert);
        Files.copy(pki.file("site.key"), key);
        String tls = "certificates: [ { cert: " + cert + ", key: " + key + " } ]";
        InetSocketAddress at = start(tls);
        int port = at.getPort();
        try (SSLSocket open = jdkClient(at)) {
            assertThat(subject(open)).isEqualTo("O=Ferry tests,CN=a.test");
            assertThat(get(open)).startsWith("HTTP/1.1 200");

            Files.copy(pki.file("renewed.pem"), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(pki.file("renewed.key"), key, StandardCopyOption.REPLACE_EXISTING);
            ReloadReport report = balancer.reload(config(yaml(tls)));
            assertThat(report.toString()).contains("frontend front: TLS certificates and settings reloaded");
            assertThat(balancer.address("front").getPort()).isEqualTo(port);

            try (SSLSocket fresh = jdkClient(at)) {
                assertThat(subject(fresh)).isEqualTo("O=Ferry tests,CN=a.test renewed");
                assertThat(get(fresh)).startsWith("HTTP/1.1 200");
            }
            // The connection from before the reload goes on, with the old certificate.
            assertThat(get(open)).startsWith("HTTP/1.1 200");
            assertThat(get(open)).startsWith("HTTP/1.1 200");
            assertThat(subject(open)).isEqualTo("O=Ferry tests,CN=a.test");
        }
        // The same file again: nothing to report.
        assertThat(balancer.reload(config(yaml(tls))).toString()).doesNotContain("TLS certificates");
        // A bad file on reload changes nothing: the running certificate stays.
        Files.writeString(key, "not a key\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> balancer.reload(config(yaml(tls))))
                .hasMessageContaining("holds no PEM private key");
        try (SSLSocket after = jdkClient(at)) {
            assertThat(subject(after)).isEqualTo("O=Ferry tests,CN=a.test renewed");
        }
    }
}
