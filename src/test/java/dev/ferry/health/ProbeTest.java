package dev.ferry.health;

import com.sun.net.httpserver.HttpServer;
import dev.ferry.config.HealthCheckConfig.HttpCheck;
import dev.ferry.config.HealthCheckConfig.StatusRange;
import dev.ferry.testing.TestServer;
import dev.ferry.transport.Transport;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Each probe against real servers on loopback. */
@Timeout(30)
class ProbeTest {
    private static final long TIMEOUT = Duration.ofSeconds(2).toNanos();
    private static Transport transport;
    private static HttpServer http;
    private static final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startServers() throws IOException {
        transport = new Transport(1);
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " Host="
                    + exchange.getRequestHeaders().getFirst("Host"));
            String path = exchange.getRequestURI().getPath();
            int status = switch (path) {
                case "/fail" -> 500;
                case "/missing" -> 404;
                default -> 200;
            };
            byte[] body = (path.equals("/big") ? "x".repeat(200_000) + "healthy" : "status: healthy\n")
                    .getBytes(StandardCharsets.UTF_8);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        http.start();
    }

    @AfterAll
    static void stopServers() {
        http.stop(0);
        transport.close();
    }

    private static ProbeResult run(HealthProbe probe, InetSocketAddress target, long timeoutNanos) throws Exception {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        EventLoop loop = transport.workers().next();
        loop.execute(() -> probe.check(loop, target, timeoutNanos, result::complete));
        return result.get(10, TimeUnit.SECONDS);
    }

    private static ProbeResult http(String method, String path, StatusRange status, String body) throws Exception {
        HttpCheck config = Checks.http(method, path, Optional.empty(), status, Optional.ofNullable(body));
        return run(new HttpProbe(transport, config), http.getAddress(), TIMEOUT);
    }

    @Test
    void httpPassesOnAnExpectedStatusAndSendsMethodPathAndHost() throws Exception {
        ProbeResult r = http("GET", "/healthz", StatusRange.DEFAULT, null);
        assertThat(r.passed()).isTrue();
        assertThat(r.reason()).isEqualTo("status 200");
        assertThat(requests).contains("GET /healthz Host=127.0.0.1:" + http.getAddress().getPort());

        HttpCheck withHost = Checks.http("HEAD", "/h", Optional.of("api.example.com"), StatusRange.DEFAULT,
                Optional.empty());
        assertThat(run(new HttpProbe(transport, withHost), http.getAddress(), TIMEOUT).passed()).isTrue();
        assertThat(requests).contains("HEAD /h Host=api.example.com");
    }

    @Test
    void httpFailsOnA500OrAStatusOutsideTheRange() throws Exception {
        ProbeResult r = http("GET", "/fail", StatusRange.DEFAULT, null);
        assertThat(r.passed()).isFalse();
        assertThat(r.reason()).isEqualTo("status 500, expected 200-399");
        assertThat(http("GET", "/missing", new StatusRange(200, 200), null).reason())
                .isEqualTo("status 404, expected 200");
        assertThat(http("GET", "/missing", new StatusRange(404, 404), null).passed()).isTrue();
    }

    @Test
    void httpChecksTheBodyForTheExpectedText() throws Exception {
        assertThat(http("GET", "/", StatusRange.DEFAULT, "healthy").reason()).isEqualTo("status 200, body matches");
        ProbeResult wrong = http("GET", "/", StatusRange.DEFAULT, "ready");
        assertThat(wrong.passed()).isFalse();
        assertThat(wrong.reason()).isEqualTo("status 200, body does not contain 'ready'");
        assertThat(http("GET", "/big", StatusRange.DEFAULT, "healthy").passed())
                .as("only the first 64 KiB are searched").isFalse();
        assertThat(http("GET", "/fail", StatusRange.DEFAULT, "healthy").reason())
                .as("the status is judged first").startsWith("status 500");
    }

    @Test
    void aServerThatNeverAnswersFailsOnTheTimeoutAndARefusedConnectFailsAtOnce() throws Exception {
        try (TestServer silent = TestServer.start("silent", s -> s.getInputStream().readAllBytes())) {
            HttpCheck config = Checks.http("GET", "/", Optional.empty(), StatusRange.DEFAULT,
                    Optional.empty());
            ProbeResult r = run(new HttpProbe(transport, config), silent.socketAddress(),
                    Duration.ofMillis(300).toNanos());
            assertThat(r.passed()).isFalse();
            assertThat(r.reason()).isEqualTo("timed out after 300 ms");
        }
        ProbeResult refused = run(new TcpProbe(transport),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), TestServer.closedPort()), TIMEOUT);
        assertThat(refused.passed()).isFalse();
        assertThat(refused.reason()).isEqualTo("connection refused");
    }

    @Test
    void tcpPassesOnACompletedHandshake() throws Exception {
        try (TestServer up = TestServer.start("up", java.net.Socket::close)) {
            ProbeResult r = run(new TcpProbe(transport), up.socketAddress(), TIMEOUT);
            assertThat(r.passed()).isTrue();
            assertThat(r.reason()).isEqualTo("connected");
        }
    }

    @Test
    void agentRepliesAreReadFromTheWire() throws Exception {
        assertThat(agent("up cpu=0.250 mem=0.500 io=0.010 procs=120 running=2 load1=0.50 cpus=4\n").agent()
                .orElseThrow().load().orElseThrow().cpu()).isEqualTo(0.25);
        assertThat(agent("75%\n").passed()).isTrue();
        assertThat(agent("drain").reason()).as("a reply may end with the connection instead of a newline")
                .isEqualTo("agent says drain");
        ProbeResult down = agent("down # disk full\n");
        assertThat(down.passed()).isFalse();
        assertThat(down.reason()).isEqualTo("agent says down");
        assertThat(agent("").reason()).isEqualTo("agent closed the connection without a reply");
        assertThat(agent("hello world\n").reason()).isEqualTo("unreadable agent reply: not an agent reply: "
                + "'hello world'");
        assertThat(agent("x".repeat(5000)).reason()).isEqualTo("agent reply longer than 1024 bytes");
    }

    private static ProbeResult agent(String reply) throws Exception {
        try (TestServer agent = TestServer.start("agent", s -> {
            s.getOutputStream().write(reply.getBytes(StandardCharsets.US_ASCII));
            s.close();
        })) {
            return run(new AgentProbe(transport), agent.socketAddress(), TIMEOUT);
        }
    }
}
