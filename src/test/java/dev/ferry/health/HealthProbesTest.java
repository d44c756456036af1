package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.Transport;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each health-check type maps to its probe (issue 17 item 4d), seen by what the probe does against a real server
 * that reads what it is sent and then closes without a word: each type fails, or passes, in its own way.
 */
@Timeout(30)
class HealthProbesTest {
    private static final long TIMEOUT = Duration.ofSeconds(2).toNanos();
    private static Transport transport;
    private static TestServer silent;

    @BeforeAll
    static void start() {
        transport = new Transport(1);
        silent = TestServer.start("silent", s -> {
            s.setSoTimeout(200);
            try {
                s.getInputStream().read(new byte[4096]);
            } catch (SocketTimeoutException nothingSent) {
                // mysql and agent checks wait for the server to speak first
            }
            s.shutdownOutput();
            s.setSoTimeout(5000);
            s.getInputStream().readAllBytes();
            s.close();
        });
    }

    @AfterAll
    static void stop() {
        silent.close();
        transport.close();
    }

    private static BackendConfig backend(String healthCheck) throws Exception {
        return ConfigLoader.parse("""
                frontends: [ { name: raw, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    servers: [ { name: s1, address: 127.0.0.1:7001 } ]
                    health_check:""" + " " + healthCheck + "\n", Path.of("probes.yaml")).backends().getFirst();
    }

    private static HealthProbe probe(String healthCheck) throws Exception {
        return HealthProbes.of(backend(healthCheck).healthCheck().orElseThrow(), transport);
    }

    private static ProbeResult againstSilent(HealthProbe probe) throws Exception {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        EventLoop loop = (EventLoop) transport.workers().next();
        loop.execute(() -> probe.check(loop, silent.socketAddress(), TIMEOUT, result::complete));
        return result.get(10, TimeUnit.SECONDS);
    }

    @Test
    void eachTypeRunsItsProbe() throws Exception {
        assertThat(probe("{ type: tcp }")).isInstanceOf(TcpProbe.class);
        assertThat(againstSilent(probe("{ type: tcp }")).passed()).isTrue();
        assertThat(againstSilent(probe("{ type: tcp, send: PING }")).passed())
                .as("send without expect passes once written").isTrue();
        assertThat(againstSilent(probe("{ type: tcp, expect: +PONG }")).reason())
                .isEqualTo("server closed the connection without a reply (expected '+PONG')");

        assertThat(probe("{ type: http }")).isInstanceOf(HttpProbe.class);
        assertThat(againstSilent(probe("{ type: http }")).reason()).isEqualTo("connection closed before a response");

        assertThat(probe("{ type: agent }")).isInstanceOf(AgentProbe.class);
        assertThat(againstSilent(probe("{ type: agent }")).reason())
                .isEqualTo("agent closed the connection without a reply");

        assertThat(againstSilent(probe("{ type: redis }")).reason())
                .isEqualTo("server closed the connection without answering PING");
        assertThat(againstSilent(probe("{ type: pgsql }")).reason())
                .isEqualTo("server closed the connection without answering the SSL request");
        assertThat(againstSilent(probe("{ type: mysql }")).reason())
                .isEqualTo("server closed the connection without a complete greeting");
    }

    @Test
    void aCheckProbesTheServerItsCheckPortOrForAgentsTheAgentPort() throws Exception {
        BackendConfig plain = backend("{ type: http }");
        Server s1 = new Backend(plain).servers().getFirst();
        assertThat(target(s1, plain)).isEqualTo(7001);
        assertThat(target(s1, backend("{ type: http, check_port: 8081 }"))).isEqualTo(8081);
        assertThat(target(s1, backend("{ type: agent }"))).isEqualTo(9777);
        assertThat(target(s1, backend("{ type: agent, check_port: 5555 }"))).isEqualTo(5555);
    }

    private static int target(Server server, BackendConfig config) {
        HealthCheckConfig hc = config.healthCheck().orElseThrow();
        return HealthProbes.target(server, hc, config).getPort();
    }
}
