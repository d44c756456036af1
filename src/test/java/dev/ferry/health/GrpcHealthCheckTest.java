package dev.ferry.health;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import io.grpc.InsecureServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code health_check: {type: grpc}} against real grpc-java servers whose {@link HealthStatusManager} the test
 * turns: a server set {@code NOT_SERVING} is taken out within a few intervals and brought back once
 * {@code SERVING}, while its neighbour stays up; {@code service} asks about one service; a server that does not
 * speak gRPC fails the check with a reason.
 */
@Timeout(60)
class GrpcHealthCheckTest {
    private static final Duration WITHIN = Duration.ofSeconds(15);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    /** A grpc-java server on 127.0.0.1 with the standard health service, reporting SERVING for "". */
    private HealthStatusManager grpcServer(List<InetSocketAddress> addresses) throws Exception {
        HealthStatusManager health = new HealthStatusManager();
        io.grpc.Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        InsecureServerCredentials.create())
                .addService(health.getHealthService()).build().start();
        resources.add(() -> {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        });
        addresses.add((InetSocketAddress) server.getListenSockets().getFirst());
        return health;
    }

    private void start(String check, List<InetSocketAddress> servers) throws Exception {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < servers.size(); i++) {
            list.append(i == 0 ? "" : ", ").append("{ name: s").append(i + 1).append(", address: 127.0.0.1:")
                    .append(servers.get(i).getPort()).append(" }");
        }
        balancer = new Balancer(ConfigLoader.parse("""
                frontends: [ { name: front, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ %s ]
                    health_check: { type: grpc, %s interval: 200ms, timeout: 500ms, rise: 2, fall: 2 }
                """.formatted(list, check), Path.of("test.yaml")), 1);
        balancer.start();
    }

    private Server server(String name) {
        return balancer.backends().get("pool").server(name).orElseThrow();
    }

    private ServerHealth health(String name) {
        return balancer.health().get("pool").stats().of(server(name));
    }

    @Test
    void aNotServingServerIsTakenOutAndBroughtBackWhenServingAgain() throws Exception {
        List<InetSocketAddress> addresses = new ArrayList<>();
        HealthStatusManager first = grpcServer(addresses);
        HealthStatusManager second = grpcServer(addresses);
        start("", addresses);
        Server s1 = server("s1");
        Server s2 = server("s2");
        await().atMost(WITHIN).until(() -> health("s1").checksPassed() >= 2 && health("s2").checksPassed() >= 2);
        assertThat(s1.healthy()).isTrue();
        assertThat(s2.healthy()).isTrue();
        assertThat(health("s2").lastReason()).isEqualTo("SERVING");
        assertThat(health("s2").checksFailed()).isZero();

        long turned = System.nanoTime();
        second.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        await().atMost(WITHIN).until(() -> !s2.healthy());
        long downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - turned);
        assertThat(health("s2").lastReason()).isEqualTo("NOT_SERVING");
        assertThat(s1.healthy()).isTrue();

        turned = System.nanoTime();
        second.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        await().atMost(WITHIN).until(s2::healthy);
        long upMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - turned);
        assertThat(health("s2").lastReason()).isEqualTo("SERVING");
        assertThat(health("s1").checksFailed()).isZero();
        System.out.printf("grpc check, interval 200ms, fall 2, rise 2: NOT_SERVING down after %d ms, SERVING up "
                + "after %d ms%n", downMillis, upMillis);
        first.enterTerminalState();
    }

    @Test
    void serviceAsksAboutOneServiceAndAnUnknownOneFails() throws Exception {
        List<InetSocketAddress> addresses = new ArrayList<>();
        HealthStatusManager health = grpcServer(addresses);
        start("service: ferry.test.Echo,", addresses);
        Server s1 = server("s1");
        // The server as a whole is SERVING, but it knows nothing of ferry.test.Echo: grpc-java answers NOT_FOUND.
        await().atMost(WITHIN).until(() -> health("s1").checksFailed() >= 2 && !s1.healthy());
        assertThat(health("s1").lastReason()).startsWith("grpc-status 5");

        health.setStatus("ferry.test.Echo", ServingStatus.SERVING);
        await().atMost(WITHIN).until(s1::healthy);
        assertThat(health("s1").lastReason()).isEqualTo("SERVING");

        health.setStatus("ferry.test.Echo", ServingStatus.SERVICE_UNKNOWN);
        await().atMost(WITHIN).until(() -> !s1.healthy());
        assertThat(health("s1").lastReason()).isEqualTo("SERVICE_UNKNOWN");
    }

    @Test
    void aServerThatIsNotGrpcFailsTheCheckWithAReason() throws Exception {
        TestServer http1 = TestServer.start("http1", socket -> {
            socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.close();
        });
        resources.add(http1);
        start("", List.of(http1.socketAddress()));
        await().atMost(WITHIN).until(() -> health("s1").checksFailed() >= 2 && !server("s1").healthy());
        assertThat(health("s1").lastReason()).contains("closed before an answer");
        assertThat(health("s1").checksPassed()).isZero();
    }
}
