package dev.ferry.admin;

import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static dev.ferry.admin.AdminHarness.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 8: lingering closes reach {@code /metrics} as {@code ferry_http_lingering_closes_total{frontend,ended}},
 * one series per way a lingering can end, driven by a real client whose upload Ferry answered early.
 */
@Timeout(60)
class HttpLingeringMetricsTest {
    @TempDir
    Path dir;
    private AdminHarness ferry;

    @AfterEach
    void tearDown() {
        if (ferry != null) {
            ferry.close();
        }
    }

    @Test
    void aLingeringCloseIsCountedByHowItEnded() throws Exception {
        ferry = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes: [ { match: { path_prefix: /api }, backend: pool } ]
                backends:
                  - { name: pool, servers: [ { name: s, address: 127.0.0.1:%d } ] }
                """.formatted(TestServer.closedPort()));
        String before = ferry.metrics();
        for (String ended : new String[]{"client_closed", "timeout", "time_cap", "byte_cap"}) {
            assertThat(value(before, "ferry_http_lingering_closes_total", "frontend", "web", "ended", ended)).isZero();
        }
        try (Socket s = new Socket()) {
            s.connect(ferry.balancer.address("web"), 5_000);
            s.setSoTimeout(10_000);
            // An upload of 1 MiB, of which 1 KiB is sent: the 404 comes before the body was read.
            s.getOutputStream().write(("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(new byte[1024]);
            InputStream in = s.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 404");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> value(ferry.metrics(), "ferry_http_lingering_closes_total",
                "frontend", "web", "ended", "client_closed") == 1);
        String after = ferry.metrics();
        assertThat(value(after, "ferry_http_lingering_closes_total", "frontend", "web", "ended", "timeout")).isZero();
    }
}
