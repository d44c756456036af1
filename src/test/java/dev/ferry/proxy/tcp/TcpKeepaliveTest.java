package dev.ferry.proxy.tcp;

import dev.ferry.config.KeepaliveConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.Configs;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SO_KEEPALIVE with the configured idle time is set on both of Ferry's sockets of a proxied connection, as the
 * kernel reports it ({@code ss -o} shows a keepalive timer only on sockets that have one).
 */
@Timeout(60)
class TcpKeepaliveTest {

    @Test
    void bothSidesOfAProxiedConnectionCarryTheConfiguredKeepalive() throws Exception {
        Requirements.require(ssAvailable(), "iproute2's ss (apt-get install iproute2)");
        try (TestServer echo = TestServer.echo("E")) {
            Balancer balancer = new Balancer(Configs.tcp("rr").server(echo, 1)
                    .keepalive(new KeepaliveConfig(Duration.ofSeconds(77), Duration.ofSeconds(5), 3)).build(), 1);
            balancer.start();
            try (Socket client = Clients.connect(balancer.address("front"))) {
                client.getOutputStream().write('x');
                assertThat(client.getInputStream().read()).isEqualTo('x');
                InetSocketAddress front = balancer.address("front");

                // Ferry's accepted socket: local port = the frontend's; Ferry's server socket: remote port = the echo's.
                String clientSide = ss("sport = :" + front.getPort());
                String serverSide = ss("dport = :" + echo.port());
                assertThat(clientSide).contains("keepalive");
                assertThat(serverSide).contains("keepalive");
                // The first probe is due within the configured idle time (the timer counts down from 77 s).
                assertThat(clientSide).containsPattern("keepalive,1min1[0-7]sec");
            } finally {
                balancer.close();
            }
        }
    }

    @Test
    void withoutTcpKeepaliveTheSocketsHaveNoKeepaliveTimer() throws Exception {
        Requirements.require(ssAvailable(), "iproute2's ss (apt-get install iproute2)");
        try (TestServer echo = TestServer.echo("E")) {
            Balancer balancer = new Balancer(Configs.tcp("rr").server(echo, 1).build(), 1);
            balancer.start();
            try (Socket client = Clients.connect(balancer.address("front"))) {
                client.getOutputStream().write('x');
                assertThat(client.getInputStream().read()).isEqualTo('x');
                assertThat(ss("dport = :" + echo.port())).doesNotContain("keepalive");
            } finally {
                balancer.close();
            }
        }
    }

    private static boolean ssAvailable() {
        try {
            return new ProcessBuilder("ss", "-V").start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String ss(String filter) throws Exception {
        Process p = new ProcessBuilder(List.of("ss", "-tnoH", "state", "established", filter))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("ss output for %s", filter).isNotBlank();
        return out;
    }
}
