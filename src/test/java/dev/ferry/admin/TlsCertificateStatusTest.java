package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestPki;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The certificates a TLS frontend serves, in the status API ({@code frontends[].tls.certificates}) and as the metric
 * {@code ferry_tls_certificate_not_after_seconds}: names, issuer, validity and fingerprint as openssl made them, and
 * a reload that reads a renewed file shows the new one (one series per certificate, the old one gone).
 */
@Timeout(120)
class TlsCertificateStatusTest {
    @TempDir
    Path dir;
    private Balancer balancer;
    private TestServer origin;

    @AfterEach
    void tearDown() {
        if (balancer != null) {
            balancer.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private String config(TestPki pki) {
        return """
                frontends:
                  - name: plain
                    listen: 127.0.0.1:0
                    backend: pool
                  - name: front
                    listen: 127.0.0.1:0
                    mode: http
                    backend: pool
                    tls:
                      certificates:
                        - { cert: %s, key: %s }
                        - { cert: %s, key: %s }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(pki.cert("a"), pki.key("a"), pki.cert("b"), pki.key("b"), origin.address());
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static String sha256(Path pem) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(read(pem).getEncoded()));
    }

    private JsonNode status() {
        return AdminApi.JSON.valueToTree(StatusReport.of(balancer, "test"));
    }

    private String scrape() {
        try (MetricsExporter metrics = new MetricsExporter(balancer)) {
            return metrics.scrape();
        }
    }

    @Test
    void theStatusAndTheMetricsShowEachCertificateAndARenewalReplacesIt() throws Exception {
        TestPki pki = TestPki.authority(dir, "ca");
        pki.issue("a", "a.test", "DNS:a.test");
        pki.issue("b", "b.test", "DNS:b.test,DNS:*.b.test");
        origin = TestServer.start("o", s -> { });
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, config(pki));
        balancer = new Balancer(ConfigLoader.load(file), 1);
        balancer.start();

        JsonNode frontends = status().get("frontends");
        assertThat(frontends.get(0).get("tls").isNull()).as("a frontend without tls: has none").isTrue();
        JsonNode certificates = frontends.get(1).get("tls").get("certificates");
        assertThat(certificates).hasSize(2);
        JsonNode a = certificates.get(0);
        JsonNode b = certificates.get(1);
        X509Certificate aCert = read(pki.cert("a"));
        assertThat(a.get("file").asText()).isEqualTo(pki.cert("a").toString());
        assertThat(a.get("subject").asText()).isEqualTo("CN=a.test");
        assertThat(a.get("issuer").asText()).isEqualTo("CN=ca");
        assertThat(a.get("names").get(0).asText()).isEqualTo("a.test");
        assertThat(b.get("names")).extracting(JsonNode::asText).containsExactly("b.test", "*.b.test");
        assertThat(a.get("not_after").asText()).isEqualTo(aCert.getNotAfter().toInstant().toString());
        assertThat(a.get("not_before").asText()).isEqualTo(aCert.getNotBefore().toInstant().toString());
        assertThat(a.get("expires_in_days").asLong()).as("issued for 2 days").isBetween(1L, 2L);
        assertThat(a.get("sha256").asText()).isEqualTo(sha256(pki.cert("a")));
        assertThat(a.get("ocsp_stapled").asBoolean()).isFalse();

        String text = scrape();
        assertThat(seriesOf(text, "0")).isEqualTo((double) aCert.getNotAfter().toInstant().getEpochSecond());
        assertThat(seriesOf(text, "1")).isEqualTo(
                (double) read(pki.cert("b")).getNotAfter().toInstant().getEpochSecond());

        // Renewed in place (a new key and certificate in the same files) and reloaded: the new one shows. Its
        // not_after may fall in the same second as the old one's; the fingerprint always differs.
        String before = sha256(pki.cert("a"));
        pki.issue("a", "a.test", "DNS:a.test,DNS:www.a.test");
        balancer.reload(ConfigLoader.load(file));
        JsonNode renewed = status().get("frontends").get(1).get("tls").get("certificates").get(0);
        assertThat(renewed.get("sha256").asText()).isEqualTo(sha256(pki.cert("a"))).isNotEqualTo(before);
        assertThat(renewed.get("names")).extracting(JsonNode::asText).containsExactly("a.test", "www.a.test");
        try (MetricsExporter metrics = new MetricsExporter(balancer)) {
            metrics.scrape();
            String after = metrics.scrape();
            assertThat(seriesOf(after, "0"))
                    .isEqualTo((double) read(pki.cert("a")).getNotAfter().toInstant().getEpochSecond());
            assertThat(after.lines().filter(l -> l.startsWith("ferry_tls_certificate_not_after_seconds{")))
                    .as("one series per certificate").hasSize(2);
        }
    }

    /** The value of the series of certificate {@code index} of frontend {@code front}. */
    private static double seriesOf(String text, String index) {
        Matcher m = Pattern.compile("(?m)^ferry_tls_certificate_not_after_seconds\\{[^}]*frontend=\"front\""
                + "[^}]*index=\"" + index + "\"[^}]*} (\\S+)$").matcher(text);
        assertThat(m.find()).as("series of certificate " + index + " in\n" + text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
