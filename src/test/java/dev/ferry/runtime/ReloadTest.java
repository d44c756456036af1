package dev.ferry.runtime;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Hot reload through {@link Balancer#reload(FerryConfig)}: nothing live is cut, a bad file changes nothing. */
@Timeout(120)
class ReloadTest {
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

    private TestServer echo(String name) {
        TestServer s = TestServer.start(name, sock -> {
            // Answers each line with "name:line", so clients see who served them.
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(sock.getInputStream(), StandardCharsets.UTF_8));
            var out = sock.getOutputStream();
            for (String line; (line = in.readLine()) != null; ) {
                out.write((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        });
        resources.add(s);
        return s;
    }

    private static FerryConfig config(int listenPort, String scheduler, TestServer... servers) throws ConfigException {
        StringBuilder y = new StringBuilder("""
                frontends:
                  - { name: front, listen: 127.0.0.1:%d, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: %s
                    servers:
                """.formatted(listenPort, scheduler));
        for (TestServer s : servers) {
            y.append("      - { name: ").append(s.name()).append(", address: ").append(s.address()).append(" }\n");
        }
        return ConfigLoader.parse(y.toString(), Path.of("reload.yaml"));
    }

    private static String ask(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder answer = new StringBuilder();
        for (int c; (c = s.getInputStream().read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            answer.append((char) c);
        }
        return answer.toString();
    }

    @Test
    void fiveReloadsUnderSteadyLoadLoseNothingAndALongConnectionSurvives() throws Exception {
        TestServer a = echo("A");
        TestServer b = echo("B");
        TestServer c = echo("C");
        balancer = new Balancer(config(0, "rr", a, b), 2);
        balancer.start();
        InetSocketAddress front = balancer.address("front");
        int port = front.getPort();
        Socket longLived = Clients.connect(front);
        resources.add(longLived);
        String firstServer = ask(longLived, "hello").split(":")[0];

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        List<Throwable> failures = new ArrayList<>();
        ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int i = 0;
            while (running.get() && System.nanoTime() < deadline) {
                try (Socket s = Clients.connect(front)) {
                    String answer = ask(s, "req" + i++);
                    seen.put(answer.split(":")[0], true);
                    ok.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }
        });

        // Five reloads: change scheduler, add C, drop A, back again; each while the client loop runs.
        List<FerryConfig> steps = List.of(config(port, "wrr", a, b), config(port, "rr", a, b, c), config(port, "lc", b, c),
                config(port, "rr", a, b, c), config(port, "wlc", a, b, c));
        for (FerryConfig step : steps) {
            int before = ok.get();
            await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() >= before + 20);
            ReloadReport report = balancer.reload(step);
            assertThat(report.changes()).singleElement().asString().startsWith("backend pool: updated (scheduler ");
        }
        int before = ok.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() >= before + 20);
        running.set(false);
        load.get(30, TimeUnit.SECONDS);

        assertThat(failures).isEmpty();
        assertThat(ok.get()).isGreaterThanOrEqualTo(120);
        assertThat(seen.keySet()).contains("A", "B", "C");
        assertThat(balancer.address("front").getPort()).isEqualTo(port);
        // The connection opened before the first reload still talks to the same server.
        assertThat(ask(longLived, "still there")).isEqualTo(firstServer + ":still there");
    }

    @Test
    void serversThatStayKeepTheirCountersAndRemovedOnesDrain() throws Exception {
        TestServer a = echo("A");
        TestServer b = echo("B");
        balancer = new Balancer(config(0, "rr", a, b), 1);
        balancer.start();
        InetSocketAddress front = balancer.address("front");
        Socket onA = Clients.connect(front);
        resources.add(onA);
        assertThat(ask(onA, "x")).isEqualTo("A:x");
        Backend pool = balancer.backends().get("pool");
        Server serverA = pool.server("A").orElseThrow();
        Server serverB = pool.server("B").orElseThrow();
        assertThat(Clients.connect(front)).isNotNull();

        balancer.reload(config(front.getPort(), "rr", b));

        assertThat(balancer.backends().get("pool")).isSameAs(pool);
        assertThat(pool.servers()).containsExactly(serverB);
        assertThat(serverA.active()).isEqualTo(1); // draining, still counted
        assertThat(ask(onA, "y")).isEqualTo("A:y");
        for (int i = 0; i < 3; i++) {
            try (Socket s = Clients.connect(front)) {
                assertThat(ask(s, "z")).isEqualTo("B:z");
            }
        }
        onA.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> serverA.active() == 0 && serverA.inactive() == 0);
        assertThat(serverB.totalConnections()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void aNewListenerOnABusyPortChangesNothing() throws Exception {
        TestServer a = echo("A");
        balancer = new Balancer(config(0, "rr", a), 1);
        balancer.start();
        int port = balancer.address("front").getPort();
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            FerryConfig moved = config(busy.getLocalPort(), "wrr", a);
            assertThatThrownBy(() -> balancer.reload(moved)).isInstanceOf(BindException.class)
                    .hasMessageContaining("address already in use");
        }
        assertThat(balancer.config().backends().get(0).scheduler().name()).isEqualTo("rr");
        assertThat(balancer.address("front").getPort()).isEqualTo(port);
        try (Socket s = Clients.connect(balancer.address("front"))) {
            assertThat(ask(s, "ok")).isEqualTo("A:ok");
        }
    }

    @Test
    void aFrontendMovedToANewAddressListensThereAndTheOldConnectionsFinish() throws Exception {
        TestServer a = echo("A");
        balancer = new Balancer(config(0, "rr", a), 1);
        balancer.start();
        InetSocketAddress old = balancer.address("front");
        Socket live = Clients.connect(old);
        resources.add(live);
        assertThat(ask(live, "1")).isEqualTo("A:1");

        int elsewhere = TestServer.closedPort();
        ReloadReport report = balancer.reload(config(elsewhere, "rr", a));

        assertThat(report.changes()).anyMatch(c -> c.startsWith("frontend front: moved to"));
        InetSocketAddress now = balancer.address("front");
        assertThat(now.getPort()).isEqualTo(elsewhere);
        assertThatThrownBy(() -> new Socket(old.getAddress(), old.getPort()).close())
                .isInstanceOf(java.net.ConnectException.class);
        assertThat(ask(live, "2")).isEqualTo("A:2");
        assertThat(balancer.activeConnections()).isEqualTo(1);
        try (Socket s = Clients.connect(now)) {
            assertThat(ask(s, "3")).isEqualTo("A:3");
        }
    }
}
