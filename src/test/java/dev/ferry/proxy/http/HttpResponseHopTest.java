package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The response side of the hop between Ferry and its client (issue 15 item 17): Ferry speaks its own HTTP version,
 * keeps 1xx from HTTP/1.0 clients, and sends an idempotent request once more on a fresh connection when the pooled
 * one it was sent on died before answering.
 */
@Timeout(60)
class HttpResponseHopTest {
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

    private void start(TestServer origin) throws Exception {
        resources.add(origin);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(origin.address()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private Server server() {
        return balancer.backends().get("pool").server("o").orElseThrow();
    }

    /** Answers every request with the exact bytes {@code response}, keeping the connection. */
    private static TestServer answering(String response) {
        return Origin.start("o", (r, out, s) -> {
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            return true;
        });
    }

    /** Everything the client gets for {@code request} until Ferry closes the connection. */
    private String exchangeToClose(String request) throws IOException {
        try (Raw c = new Raw(front)) {
            c.send(request);
            return new String(c.in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/1.0", "HTTP/1.1"})
    void theStatusLineAlwaysSaysHttp11WhateverVersionTheServerWrote(String version) throws Exception {
        start(answering(version + " 200 Fine\r\nContent-Length: 2\r\n\r\nok"));
        String got = exchangeToClose("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(got).as(version).startsWith("HTTP/1.1 200 Fine\r\n").endsWith("\r\n\r\nok");
    }

    @Test
    void informationalResponsesReachHttp11ClientsButNotHttp10Ones() throws Exception {
        start(answering("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        String to10 = exchangeToClose("GET / HTTP/1.0\r\nHost: x\r\n\r\n");
        assertThat(to10).startsWith("HTTP/1.1 200 OK\r\n").doesNotContain("103").doesNotContain("Link:")
                .endsWith("\r\n\r\nok");
        String to11 = exchangeToClose("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(to11).startsWith("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n")
                .contains("\r\n\r\nHTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nok");
    }

    /**
     * Answers the first request on each connection with 200 "ok N" (keep-alive, by not saying otherwise) and closes a
     * connection when a second request arrives on it, unanswered: what a server with a short keep-alive timeout does
     * when the request crosses its close.
     */
    private static TestServer oneRequestPerConnection() {
        int[] served = {0};
        return TestServer.start("o", socket -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            if (Origin.read(in, socket, out) == null) {
                return;
            }
            int n;
            synchronized (served) {
                n = ++served[0];
            }
            Origin.text(out, 200, "ok " + n);
            Origin.read(in, socket, out);
            // Closed unanswered on leaving (TestServer closes the socket).
        });
    }

    @Test
    void anIdempotentRequestOnAPooledConnectionThatDiesUnansweredIsSentAgainOnAFreshOne() throws Exception {
        start(oneRequestPerConnection());
        try (Raw c = new Raw(front)) {
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("ok 1");
            c.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok 2");
        }
        assertThat(server().failures()).as("a stale pooled connection is nobody's failure").isZero();
    }

    @Test
    void aNonIdempotentRequestOnAPooledConnectionThatDiesUnansweredIsNotSentAgain() throws Exception {
        start(oneRequestPerConnection());
        try (Raw c = new Raw(front)) {
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("ok 1");
            c.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            assertThat(c.read().status()).isEqualTo(502);
        }
    }
}
