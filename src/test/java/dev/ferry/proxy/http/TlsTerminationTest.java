package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TLS termination on http and tcp frontends with certificates made at test time by openssl: SNI picks the
 * certificate, TLS 1.2 and 1.3 both work, ALPN settles on http/1.1 for a client that offers only that.
 */
@Timeout(60)
class TlsTerminationTest {
    @TempDir
    static Path certs;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;

    @BeforeAll
    static void makeCertificates() throws Exception {
        selfSigned("a", "a.test", "DNS:a.test");
        selfSigned("b", "b.test", "DNS:*.b.test,DNS:b.test");
    }

    /** Writes {@code name.pem} and {@code name.key} (PKCS#8) into the temporary directory. */
    static void selfSigned(String name, String cn, String san) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + cn, "-addext", "subjectAltName=" + san,
                    "-keyout", certs.resolve(name + ".key").toString(), "-out", certs.resolve(name + ".pem").toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Requirements.require(false, "openssl (apt-get install openssl)");
            return;
        }
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
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

    private InetSocketAddress start(String mode, TestServer origin) throws Exception {
        resources.add(origin);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - name: front
                    listen: 127.0.0.1:0
                    mode: %s
                    backend: pool
                    tls:
                      certificates:
                        - { cert: %s, key: %s }
                        - { cert: %s, key: %s }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(mode, certs.resolve("a.pem"), certs.resolve("a.key"), certs.resolve("b.pem"),
                certs.resolve("b.key"), origin.address()), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer.address("front");
    }

    private static SSLSocket connect(InetSocketAddress address, String sni, String protocol) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[]{new TrustAll()}, null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(address.getAddress(), address.getPort());
        s.setSoTimeout(10_000);
        SSLParameters params = s.getSSLParameters();
        if (sni != null) {
            params.setServerNames(List.of(new SNIHostName(sni)));
        }
        params.setProtocols(new String[]{protocol});
        // An HTTP/1 client (h2 by ALPN is Http2ProxyTest's).
        params.setApplicationProtocols(new String[]{"http/1.1"});
        s.setSSLParameters(params);
        s.startHandshake();
        return s;
    }

    private static String subject(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    @Test
    void sniPicksTheCertificateAndRequestsPassOverTls() throws Exception {
        Origin seen = new Origin();
        InetSocketAddress front = start("http", Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "secure");
            return true;
        }, seen));
        try (SSLSocket s = connect(front, "x.b.test", "TLSv1.3")) {
            assertThat(subject(s)).isEqualTo("CN=b.test");
            assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x.b.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Raw.Response r = readResponse(s.getInputStream());
            assertThat(r.body()).isEqualTo("secure");
        }
        try (SSLSocket s = connect(front, "a.test", "TLSv1.2")) {
            assertThat(subject(s)).isEqualTo("CN=a.test");
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
        }
        try (SSLSocket s = connect(front, "unknown.test", "TLSv1.3")) {
            assertThat(subject(s)).isEqualTo("CN=a.test");
        }
        try (SSLSocket s = connect(front, null, "TLSv1.3")) {
            assertThat(subject(s)).isEqualTo("CN=a.test");
        }
        assertThat(seen.requests.get(0).header("X-Forwarded-Proto")).isEqualTo("https");
    }

    private static Raw.Response readResponse(InputStream in) throws IOException {
        String status = Origin.readLine(in);
        List<String[]> headers = new ArrayList<>();
        int length = 0;
        for (String h; !(h = Origin.readLine(in)).isEmpty(); ) {
            String[] kv = h.split(":\\s*", 2);
            headers.add(kv);
            if (kv[0].equalsIgnoreCase("Content-Length")) {
                length = Integer.parseInt(kv[1]);
            }
        }
        return new Raw.Response(Integer.parseInt(status.split(" ")[1]), headers,
                new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    @Test
    void curlGetsThroughWithSniAndAlpn() throws Exception {
        InetSocketAddress front = start("http", Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "via curl");
            return true;
        }));
        Process p;
        try {
            p = new ProcessBuilder("curl", "-sk", "-v", "--max-time", "10", "--resolve",
                    "www.b.test:" + front.getPort() + ":127.0.0.1", "https://www.b.test:" + front.getPort() + "/")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Requirements.require(false, "curl (apt-get install curl)");
            return;
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(output).contains("via curl").contains("CN=b.test").containsIgnoringCase("ALPN")
                .contains("http/1.1");
    }

    @Test
    void aTcpFrontendTerminatesTlsAndRelaysPlainBytes() throws Exception {
        InetSocketAddress front = start("tcp", TestServer.echo("echo"));
        try (SSLSocket s = connect(front, "b.test", "TLSv1.3")) {
            assertThat(subject(s)).isEqualTo("CN=b.test");
            OutputStream out = s.getOutputStream();
            byte[] data = "plain over tls".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            out.write(data);
            out.flush();
            assertThat(s.getInputStream().readNBytes(data.length)).isEqualTo(data);
        }
    }

    @Test
    void aMissingCertificateIsAConfigurationErrorNamingTheFile() throws Exception {
        TestServer o = TestServer.echo("o");
        resources.add(o);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: http, backend: pool,
                      tls: { certificates: [ { cert: /nonexistent/c.pem, key: /nonexistent/k.pem } ] } }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(o.address()), Path.of("test.yaml")), 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(balancer::start)
                .isInstanceOf(dev.ferry.config.ConfigException.class)
                .hasMessageContaining("frontends[0].tls")
                .hasMessageContaining("/nonexistent/c.pem");
        balancer = null;
    }

    /** Tests talk to their own self-signed certificates. */
    static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
