package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.OpensslPki;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.TlsHandshakeFailures;
import dev.ferry.transport.TlsTerminator;
import dev.ferry.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ferry's own session ticket keys rotate on the terminator's clock (walked here, not waited for): a ticket made
 * before one rotation still resumes (the previous key decrypts), one made before two does not. Proved with openssl
 * s_client's saved sessions over TLS 1.2, with the session cache off so that only a ticket can resume.
 */
@Timeout(90)
class TicketKeyRotationTest {
    @TempDir
    Path dir;
    private final Transport transport = new Transport(1);
    private HttpFrontend frontend;
    private TestServer origin;

    @AfterEach
    void tearDown() {
        if (frontend != null) {
            frontend.stopAccepting();
            frontend.closeAll();
        }
        if (origin != null) {
            origin.close();
        }
        transport.close();
    }

    private String sClient(InetSocketAddress at, String... args) throws Exception {
        List<String> c = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + at.getPort(), "-servername", "a.test", "-tls1_2", "-ign_eof"));
        c.addAll(List.of(args));
        Process p = new ProcessBuilder(c).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("HTTP/1.1 200");
        return out;
    }

    @Test
    void aTicketOutlivesOneRotationButNotTwo() throws Exception {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        OpensslPki pki = new OpensslPki(dir);
        pki.ca("ca").signed("site", "a.test", "DNS:a.test", "ca", 2);
        origin = Origin.naming("o");
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    tls:
                      certificates: [ { cert: site.pem, key: site.key } ]
                      session_cache: false
                      ticket_key_rotation: 1h
                    routes: [ { backend: pool } ]
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:%d } ] }
                """.formatted(origin.port()), dir.resolve("ferry.yaml"));
        AtomicLong now = new AtomicLong(System.nanoTime());
        var fc = config.frontends().getFirst();
        TlsTerminator tls = TlsTerminator.load(fc.tls().orElseThrow(), List.of("http/1.1"),
                TlsTerminator.defaultProvider(), new TlsHandshakeFailures("web"), null, now::get);
        Backend pool = new Backend(config.backends().getFirst());
        frontend = new HttpFrontend(fc, Map.of("pool", pool), transport, Optional.of(tls));
        InetSocketAddress at = frontend.start();

        Path before = dir.resolve("before");
        assertThat(sClient(at, "-sess_out", before.toString())).contains("New, TLSv1.2");
        assertThat(sClient(at, "-sess_in", before.toString())).contains("Reused, TLSv1.2");

        now.addAndGet(Duration.ofMinutes(61).toNanos());
        assertThat(sClient(at, "-sess_in", before.toString())).as("the previous key still decrypts")
                .contains("Reused, TLSv1.2");

        now.addAndGet(Duration.ofMinutes(61).toNanos());
        assertThat(sClient(at, "-sess_in", before.toString())).as("two rotations later the key is gone")
                .contains("New, TLSv1.2").doesNotContain("Reused");
    }
}
