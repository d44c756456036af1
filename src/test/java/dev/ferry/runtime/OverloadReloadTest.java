package dev.ferry.runtime;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 26: raising or removing {@code max_connections} on a reload clears the overload flag at once, as
 * the kernel's {@code __ip_vs_update_dest} does; the connections that set it are still open.
 */
@Timeout(60)
class OverloadReloadTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
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

    private static FerryConfig config(int listenPort, TestServer server, String limit) throws ConfigException {
        return ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:%d, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: wlc
                    servers:
                      - { name: A, address: %s%s }
                """.formatted(listenPort, server.address(), limit), Path.of("overload.yaml"));
    }

    private String ask(InetSocketAddress front) throws IOException {
        Socket s = Clients.connect(front);
        resources.add(s);
        s.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
        StringBuilder answer = new StringBuilder();
        for (int c; (c = s.getInputStream().read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            answer.append((char) c);
        }
        return answer.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {", max_connections: 10", ""})
    void raisingOrRemovingTheLimitLetsTheNextClientInWhileTheOldOnesStayOpen(String newLimit) throws Exception {
        TestServer a = TestServer.start("A", sock -> {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(sock.getInputStream(),
                    StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                sock.getOutputStream().write(("A:" + line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        });
        resources.add(a);
        balancer = new Balancer(config(0, a, ", max_connections: 2"), 2);
        balancer.start();
        InetSocketAddress front = balancer.address("front");
        assertThat(ask(front)).isEqualTo("A:hi");
        assertThat(ask(front)).isEqualTo("A:hi"); // the second bind reaches the limit: overloaded
        assertThat(balancer.backends().get("pool").server("A").orElseThrow().isOverloaded()).isTrue();
        Clients.expectReset(front);

        balancer.reload(config(front.getPort(), a, newLimit));
        assertThat(balancer.backends().get("pool").server("A").orElseThrow().isOverloaded()).isFalse();
        assertThat(ask(front)).isEqualTo("A:hi");
    }
}
