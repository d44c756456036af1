package dev.ferry.runtime;

import dev.ferry.admin.StatusReport;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.proxy.Frontend;
import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 22: frontends a reload moves or removes are dropped once their connections ended (with the pooled
 * server connections they held), while their live connections still finish.
 */
@Timeout(120)
class RetiredFrontendsTest {
    private static final int RELOADS = 20;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final AtomicInteger originConnections = new AtomicInteger();
    private Balancer balancer;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** A keep-alive HTTP origin that counts its open connections. */
    private TestServer origin() {
        TestServer s = TestServer.start("origin", socket -> {
            originConnections.incrementAndGet();
            try {
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.ISO_8859_1));
                OutputStream out = socket.getOutputStream();
                while (true) {
                    String line = in.readLine();
                    if (line == null) {
                        return;
                    }
                    if (line.isEmpty()) {
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                }
            } finally {
                originConnections.decrementAndGet();
            }
        });
        resources.add(s);
        return s;
    }

    /**
     * Reload {@code i}: the http frontend alternates between 127.0.0.1 and 127.0.0.2 (a move), the tcp frontend is
     * named {@code t<i>} (the previous one is removed).
     */
    private static FerryConfig config(int i, TestServer origin, TestServer echo) throws ConfigException {
        return ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.%d:0, mode: http, routes: [ { backend: web } ] }
                  - { name: t%d, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - { name: web, servers: [ { name: o, address: %s } ] }
                  - { name: pool, servers: [ { name: e, address: %s } ] }
                """.formatted(1 + i % 2, i, origin.address(), echo.address()), Path.of("retired.yaml"));
    }

    private static String get(InetSocketAddress at) throws IOException {
        try (Socket s = Clients.connect(at)) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String echo(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        byte[] back = s.getInputStream().readNBytes(text.length());
        return new String(back, StandardCharsets.US_ASCII);
    }

    @Test
    void reloadsThatMoveAndRemoveFrontendsLeaveNothingBehindOnceDrained() throws Exception {
        TestServer origin = origin();
        TestServer echoServer = TestServer.echo("e");
        resources.add(echoServer);
        balancer = new Balancer(config(0, origin, echoServer), 2);
        balancer.start();
        // A connection on the first tcp frontend lives through every reload.
        Socket live = Clients.connect(balancer.address("t0"));
        resources.add(live);
        assertThat(echo(live, "before")).isEqualTo("before");

        for (int i = 1; i <= RELOADS; i++) {
            // Each http frontend leaves a pooled (idle keep-alive) connection to the origin behind.
            assertThat(get(balancer.address("web"))).startsWith("HTTP/1.1 200").endsWith("ok");
            balancer.reload(config(i, origin, echoServer));
        }
        assertThat(get(balancer.address("web"))).endsWith("ok");

        // Everything retired is dropped once drained, with its pooled server connections; only t0 still drains.
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(balancer.retiredFrontends()).extracting(Frontend::name).containsExactly("t0");
            assertThat(originConnections.get()).isEqualTo(1);
        });
        assertThat(StatusReport.of(balancer, "test").retiredFrontends())
                .extracting(StatusReport.RetiredFrontend::name, StatusReport.RetiredFrontend::activeConnections)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("t0", 1));

        // The live connection on the retired frontend still works, and the frontend goes when it ends.
        assertThat(echo(live, "after " + RELOADS + " reloads")).isEqualTo("after " + RELOADS + " reloads");
        live.close();
        await().atMost(Duration.ofSeconds(15)).until(() -> balancer.retiredFrontends().isEmpty());
        assertThat(balancer.activeConnections()).isZero();
    }
}
