package dev.ferry.proxy.tcp;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.OutlierConfig;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Configs;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that reset while Ferry is still connecting to a server (issue 15, item 2): a client's own reset is never the
 * server's failure; Ferry stops connecting, does not retry, does not count it, and outlier detection keeps the servers.
 */
@Timeout(60)
class TcpClientResetTest {
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

    private InetSocketAddress start(Configs config) throws Exception {
        balancer = new Balancer(config.retries(2).outlier(new OutlierConfig(1, Duration.ofSeconds(30), 100)).build(), 1);
        balancer.start();
        return balancer.address("front");
    }

    private Backend backend() {
        return balancer.backends().get("pool");
    }

    private FrontendStats stats() {
        return balancer.frontends().get(0).stats();
    }

    /** Connects and resets at once (SO_LINGER 0), as the clients in the report did. */
    private static void connectAndReset(InetSocketAddress front) throws IOException {
        Socket s = new Socket();
        s.connect(front, 5_000);
        s.setSoLinger(true, 0);
        s.close();
    }

    @Test
    void aClientResetWhileFerryIsConnectingStopsTheConnectAndCountsNothingAgainstTheServer() throws Exception {
        // A server whose accept queue is full: the kernel drops further SYNs, so Ferry's connect stays pending.
        ServerSocket stuck = new ServerSocket();
        resources.add(stuck);
        stuck.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        for (int i = 0; i < 2; i++) { // a backlog of 1 holds two
            Socket filler = new Socket();
            resources.add(filler);
            filler.connect(stuck.getLocalSocketAddress(), 5_000);
        }
        TestServer other = TestServer.echo("other");
        resources.add(other);
        InetSocketAddress front = start(Configs.tcp("rr").connectTimeout(Duration.ofSeconds(30))
                .server("stuck", "127.0.0.1:" + stuck.getLocalPort(), 1).server(other, 1));
        Server stuckServer = backend().servers().stream().filter(s -> s.name().equals("stuck")).findFirst().orElseThrow();

        try (Socket client = new Socket()) {
            client.connect(front, 5_000);
            // rr starts with "stuck": wait until Ferry is connecting to it, then reset.
            await().atMost(Duration.ofSeconds(10)).until(() -> stuckServer.inactive() == 1);
            client.setSoLinger(true, 0);
        }

        // The pending connect is abandoned at once (not after the 30 s connect timeout) ...
        await().atMost(Duration.ofSeconds(10)).until(() -> stuckServer.inactive() + stuckServer.active() == 0
                && stats().active() == 0);
        // ... and nothing of it is the server's: no failure, no ejection, no retry on the other server.
        assertThat(stuckServer.failures()).isZero();
        assertThat(stuckServer.ejected()).isFalse();
        assertThat(stats().retries()).isZero();
        assertThat(stats().noServer()).isZero();
        assertThat(other.accepted()).isZero();
    }

    @Test
    void clientsResettingAtOnceLeaveHealthyServersUp() throws Exception {
        TestServer a = TestServer.echo("a");
        TestServer b = TestServer.echo("b");
        resources.add(a);
        resources.add(b);
        InetSocketAddress front = start(Configs.tcp("rr").server(a, 1).server(b, 1));

        for (int i = 0; i < 400; i++) {
            connectAndReset(front);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> stats().active() == 0);
        for (Server s : backend().servers()) {
            assertThat(s.failures()).as("failures of %s", s.name()).isZero();
            assertThat(s.ejected()).as("%s ejected", s.name()).isFalse();
        }
        assertThat(stats().retries()).isZero();
        assertThat(stats().noServer()).isZero();

        // And the next client is served.
        try (Socket client = new Socket()) {
            client.connect(front, 5_000);
            client.setSoTimeout(10_000);
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
    }
}
