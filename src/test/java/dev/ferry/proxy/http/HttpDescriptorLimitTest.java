package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.DescriptorLimit;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.LocalFailures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At layer 7 too, running out of file descriptors is Ferry's problem, not its servers' (issue 15 item 15, as
 * {@code TcpDescriptorLimitTest} at layer 4): with this JVM's RLIMIT_NOFILE lowered so that Ferry can accept a client
 * but not open a server socket, every request is answered 503, no server counts a failure or is ejected, no other
 * server is tried; once descriptors are back, requests are served.
 */
@Timeout(60)
class HttpDescriptorLimitTest {
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    @Test
    void outOfDescriptorsAnswers503AndNeverCountsAgainstHealthyServers() throws Exception {
        DescriptorLimit.require();
        long[] saved = DescriptorLimit.current();
        // Each answer closes its server connection, so no pooled one is left to spare Ferry a new socket.
        Origin.Handler closing = (r, out, s) -> {
            Origin.text(out, 200, "ok", "Connection: close");
            return false;
        };
        try (TestServer a = Origin.start("a", closing); TestServer b = Origin.start("b", closing)) {
            Balancer balancer = new Balancer(ConfigLoader.parse("""
                    frontends:
                      - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                    backends:
                      - name: pool
                        scheduler: rr
                        retries: 2
                        outlier: { consecutive_failures: 2, ejection: 30s, max_ejected_percent: 100 }
                        servers: [ { name: a, address: %s }, { name: b, address: %s } ]
                    """.formatted(a.address(), b.address()), Path.of("test.yaml")), 1);
            balancer.start();
            try {
                InetSocketAddress front = balancer.address("web");
                FrontendStats stats = balancer.frontends().getFirst().stats();
                assertThat(closing(SocketChannel.open(front))).startsWith("HTTP/1.1 200");
                assertThat(closing(SocketChannel.open(front))).startsWith("HTTP/1.1 200");
                // Classes load from target/classes one file (one descriptor) each: load Ferry's before the limit.
                DescriptorLimit.loadClassesBeside(LocalFailures.class);

                List<SocketChannel> clients = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    clients.add(SocketChannel.open()); // their descriptors exist before the limit drops
                }
                List<SocketChannel> fillers = new ArrayList<>();
                List<String> answers = new ArrayList<>();
                DescriptorLimit.set(DescriptorLimit.highestOpenDescriptor() + 64, saved[1]);
                try {
                    // Take every descriptor left but one: Ferry gets that one for the client, none for the server.
                    try {
                        while (fillers.size() < 1_000) {
                            fillers.add(SocketChannel.open());
                        }
                    } catch (IOException tooManyOpenFiles) {
                        // as intended
                    }
                    assertThat(fillers).isNotEmpty().hasSizeLessThan(1_000);
                    fillers.remove(fillers.size() - 1).close();
                    assertThat(DescriptorLimit.canOpen()).isTrue();
                    assertThat(DescriptorLimit.canOpen()).isTrue();
                    for (SocketChannel c : clients) {
                        // Kept open until the limit is back: closing one would free a descriptor for the next.
                        c.connect(front);
                        answers.add(exchange(c));
                    }
                } finally {
                    for (SocketChannel c : fillers) {
                        c.close();
                    }
                    for (SocketChannel c : clients) {
                        c.close();
                    }
                    DescriptorLimit.set(saved[0], saved[1]);
                }
                assertThat(answers).allSatisfy(r -> assertThat(r).startsWith("HTTP/1.1 503"));
                for (Server s : balancer.backends().get("pool").servers()) {
                    assertThat(s.failures()).as("failures of %s", s.name()).isZero();
                    assertThat(s.ejected()).as("%s ejected", s.name()).isFalse();
                }
                assertThat(stats.localFailures()).isEqualTo(clients.size());
                assertThat(stats.retries()).isZero();
                assertThat(closing(SocketChannel.open(front))).as("with descriptors back").startsWith("HTTP/1.1 200");
            } finally {
                balancer.close();
            }
        } finally {
            DescriptorLimit.set(saved[0], saved[1]);
        }
    }

    /** Sends {@link #REQUEST} and reads until Ferry closes (the channel stays open). */
    private static String exchange(SocketChannel c) throws IOException {
        Socket s = c.socket();
        s.setSoTimeout(10_000);
        s.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
        try {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    /** {@link #exchange}, then closes the channel. */
    private static String closing(SocketChannel c) throws IOException {
        try (c) {
            return exchange(c);
        }
    }
}
