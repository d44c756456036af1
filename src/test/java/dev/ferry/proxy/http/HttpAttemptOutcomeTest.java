package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How one try of a request on a server counts for that server's passive health (issue 15 item 18): one attempt is
 * one outcome, however the failure shows itself, as at layer 4.
 */
@Timeout(60)
class HttpAttemptOutcomeTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;
    private InetSocketAddress front;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private void start(TestServer origin, String backendExtras) throws Exception {
        resources.add(origin);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - name: pool
                    retries: 0
                    servers: [ { name: o, address: %s } ]
                %s
                """.formatted(origin.address(), backendExtras.indent(4).stripTrailing()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private Server server() {
        return balancer.backends().get("pool").server("o").orElseThrow();
    }

    private Raw.Response get(String target) throws IOException {
        try (Raw c = new Raw(front)) {
            c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
            return c.read();
        }
    }

    /** Resets the connection (RST: linger 0) on a request for /reset; answers anything else with 200. */
    private static TestServer resetting() {
        return TestServer.start("o", socket -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            for (Origin.Request r; (r = Origin.read(in, socket, out)) != null; ) {
                if (r.target().equals("/reset")) {
                    socket.setSoLinger(true, 0);
                    socket.close();
                    return;
                }
                Origin.text(out, 200, "ok");
            }
        });
    }

    @Test
    void oneResetIsOneFailureAndTwoEjectTheServerWithConsecutiveFailuresTwo() throws Exception {
        start(resetting(), "outlier: { consecutive_failures: 2, ejection: 10m, max_ejected_percent: 100 }");
        assertThat(get("/reset").status()).isEqualTo(502);
        // The 502 is written after the failure was recorded, on the same event loop: the count is final here.
        assertThat(server().failures()).as("failures after one reset").isEqualTo(1);
        assertThat(server().ejected()).isFalse();
        assertThat(get("/reset").status()).isEqualTo(502);
        assertThat(server().failures()).as("failures after two resets").isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> server().ejected());
        assertThat(get("/").status()).as("an ejected server takes no request").isEqualTo(503);
    }

    @Test
    void aResetAfterSuccessesLeavesTheServerUp() throws Exception {
        start(resetting(), "outlier: { consecutive_failures: 2, ejection: 10m, max_ejected_percent: 100 }");
        assertThat(get("/").status()).isEqualTo(200);
        assertThat(get("/reset").status()).isEqualTo(502);
        assertThat(get("/").status()).isEqualTo(200);
        assertThat(get("/reset").status()).isEqualTo(502);
        assertThat(server().failures()).isEqualTo(2);
        assertThat(get("/").status()).as("no two failures in a row: still in").isEqualTo(200);
        assertThat(server().ejected()).isFalse();
    }
}
