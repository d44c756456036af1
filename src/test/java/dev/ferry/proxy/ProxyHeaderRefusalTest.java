package dev.ferry.proxy;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 16e: a {@code proxy_protocol} frontend, tcp or http, whose client's first bytes cannot begin a PROXY
 * header (v1 "PROXY ", v2's 12-byte signature) closes the connection as soon as they arrive and counts it, instead
 * of holding it until the header timeout, which here is 30 s: the close must come well before it. A real socket
 * sends an HTTP request line (and, alone, its first 4 bytes, fewer than Netty's decoder looks at) and waits.
 */
@Timeout(60)
class ProxyHeaderRefusalTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(30);
    /** Well below the header timeout: a close by then was not the timeout's. */
    private static final Duration PROMPTLY = Duration.ofSeconds(10);

    private Balancer balancer;
    private TestServer server;

    @AfterEach
    void tearDown() {
        if (balancer != null) {
            balancer.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "tcp  | GET / HTTP/1.1\\r\\n",
            "tcp  | GET ",
            "http | GET / HTTP/1.1\\r\\n",
            "http | GET "})
    void firstBytesThatCannotBeginAProxyHeaderAreRefusedAtOnce(String mode, String sent) throws Exception {
        server = TestServer.echo("E");
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - name: front
                    listen: 127.0.0.1:0
                    mode: %s
                    proxy_protocol: true
                    timeouts: { request_header: %ds }
                    %s
                backends:
                  - name: pool
                    servers: [ { name: E, address: 127.0.0.1:%d } ]
                """.formatted(mode, HEADER_TIMEOUT.toSeconds(),
                mode.equals("http") ? "routes: [ { backend: pool } ]" : "backend: pool", server.port()),
                Path.of("ferry.yaml")), 1);
        balancer.start();
        assertThat(balancer.config().frontends().get(0).timeouts().requestHeader()).isEqualTo(HEADER_TIMEOUT);
        FrontendStats stats = balancer.frontends().get(0).stats();

        try (Socket client = new Socket()) {
            client.connect(balancer.address("front"), 5_000);
            client.setTcpNoDelay(true);
            client.getOutputStream().write(sent.replace("\\r\\n", "\r\n").getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            CompletableFuture<String> ending = CompletableFuture.supplyAsync(() -> readToEnd(client));
            await().atMost(PROMPTLY).until(ending::isDone);
            assertThat(ending.get(1, TimeUnit.SECONDS)).isIn("end of stream", "reset");
        }
        await().atMost(PROMPTLY).until(() -> stats.active() == 0);
        assertThat(stats.badProxyHeaders()).as("counted").isEqualTo(1);
        assertThat(server.accepted()).as("no server saw it").isZero();
    }

    /** How the connection ended from the client's side, reading (and expecting) nothing; bounded by the socket. */
    private static String readToEnd(Socket client) {
        try {
            client.setSoTimeout((int) HEADER_TIMEOUT.multipliedBy(2).toMillis());
            InputStream in = client.getInputStream();
            int b = in.read();
            return b < 0 ? "end of stream" : "a byte: " + b;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset") ? "reset" : e.toString();
        }
    }
}
