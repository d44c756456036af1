package dev.ferry.proxy.http;

import dev.ferry.backend.BackendQueue;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.GateOrigin;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 20 item 5 at layer 7: {@code queue: {size, timeout}} on a backend whose one server takes one request at a time
 * ({@code max_connections: 1}) and holds each until the test lets it pass ({@link GateOrigin}). Requests beyond the
 * server's limit wait in the queue and reach the server in the order they came; past the queue's size they are
 * answered 503 at once; past its timeout 503; a client that leaves while queued is taken out of the queue. Real
 * sockets, the JDK HttpClient, two event loops (so waiters are woken across loops).
 */
@Timeout(120)
class HttpQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        client.close();
    }

    private Balancer start(GateOrigin origin, String queue) throws Exception {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                backends:
                  - name: app
                    queue: %s
                    servers: [ { name: one, address: %s, max_connections: 1 } ]
                """.formatted(queue, origin.address()));
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        closing.add(balancer);
        return balancer;
    }

    private static BackendQueue queue(Balancer balancer) {
        return balancer.backends().get("app").queue();
    }

    private CompletableFuture<HttpResponse<String>> get(Balancer balancer, String path) {
        InetSocketAddress at = balancer.address("web");
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + path))
                .timeout(Duration.ofSeconds(60)).build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFullServerQueuesRequestsAndSendsThemInTheOrderTheyCameTheRestAre503AtOnce() throws Exception {
        GateOrigin origin = GateOrigin.start("one");
        closing.add(origin);
        Balancer balancer = start(origin, "{ size: 10, timeout: 30s }");
        BackendQueue queue = queue(balancer);

        // 1 request on the server, then 10 that queue, one after the other so their order is known.
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        sent.add(get(balancer, "/gate/0"));
        await().atMost(WAIT).until(() -> origin.held() == 1);
        for (int i = 1; i <= 10; i++) {
            sent.add(get(balancer, "/gate/" + i));
            int expected = i;
            await().atMost(WAIT).until(() -> queue.length() == expected);
        }
        // 9 more at once: the queue is full, each is answered 503 without waiting.
        long before = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> refused = new ArrayList<>();
        for (int i = 11; i < 20; i++) {
            refused.add(get(balancer, "/gate/" + i));
        }
        for (CompletableFuture<HttpResponse<String>> f : refused) {
            HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("retry-after")).as("the queue's timeout").hasValue("30");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("refused at once, not after a wait")
                .isLessThan(Duration.ofSeconds(20));
        assertThat(queue.fullTotal()).isEqualTo(9);
        assertThat(queue.length()).isEqualTo(10);
        assertThat(origin.held()).as("the server never had more than its one request").isEqualTo(1);

        // Each request let through frees the one slot, which goes to the oldest waiter.
        for (int i = 0; i <= 10; i++) {
            origin.pass(1);
            HttpResponse<String> r = sent.get(i).get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("one /gate/" + i);
        }
        List<String> order = new ArrayList<>();
        for (int i = 0; i <= 10; i++) {
            order.add("/gate/" + i);
        }
        assertThat(origin.arrivals()).as("first come, first served").containsExactlyElementsOf(order);
        assertThat(queue.length()).isZero();
        assertThat(queue.queuedTotal()).isEqualTo(10);
        assertThat(queue.dispatchedTotal()).isEqualTo(10);
        assertThat(queue.timeoutsTotal()).isZero();
        assertThat(queue.waits().count()).isEqualTo(10);
        Server one = balancer.backends().get("app").server("one").orElseThrow();
        await().atMost(WAIT).until(() -> one.active() == 0);
    }

    @Test
    void aConcurrentBurstIsServedOneByOneWithoutLossWithinTheQueueSize() throws Exception {
        GateOrigin origin = GateOrigin.start("one");
        closing.add(origin);
        Balancer balancer = start(origin, "{ size: 50, timeout: 30s }");
        origin.pass(1_000); // nothing is held: the server answers at once, one request at a time

        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            sent.add(get(balancer, "/gate/" + i));
        }
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        BackendQueue queue = queue(balancer);
        assertThat(queue.length()).isZero();
        assertThat(queue.fullTotal()).isZero();
        assertThat(queue.dispatchedTotal()).isEqualTo(queue.queuedTotal());
        assertThat(origin.served()).isEqualTo(40);
    }

    @Test
    void aRequestThatWaitsPastTheQueueTimeoutIs503() throws Exception {
        GateOrigin origin = GateOrigin.start("one");
        closing.add(origin);
        Balancer balancer = start(origin, "{ size: 10, timeout: 300ms }");
        CompletableFuture<HttpResponse<String>> holder = get(balancer, "/gate/held");
        await().atMost(WAIT).until(() -> origin.held() == 1);

        long before = System.nanoTime();
        HttpResponse<String> late = get(balancer, "/gate/late").get(30, TimeUnit.SECONDS);
        assertThat(late.statusCode()).isEqualTo(503);
        assertThat(late.headers().firstValue("retry-after")).as("300ms, in whole seconds").hasValue("1");
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("waited for the queue timeout")
                .isGreaterThanOrEqualTo(Duration.ofMillis(300));
        BackendQueue queue = queue(balancer);
        assertThat(queue.timeoutsTotal()).isEqualTo(1);
        assertThat(queue.length()).isZero();

        origin.pass(1);
        assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(origin.arrivals()).as("the timed-out request never reached the server")
                .containsExactly("/gate/held");
    }

    @Test
    void aClientThatClosesWhileQueuedLeavesTheQueueAndTakesNoSlot() throws Exception {
        GateOrigin origin = GateOrigin.start("one");
        closing.add(origin);
        Balancer balancer = start(origin, "{ size: 10, timeout: 30s }");
        BackendQueue queue = queue(balancer);
        CompletableFuture<HttpResponse<String>> holder = get(balancer, "/gate/held");
        await().atMost(WAIT).until(() -> origin.held() == 1);

        InetSocketAddress at = balancer.address("web");
        try (Socket leaving = new Socket(at.getAddress(), at.getPort())) {
            leaving.getOutputStream().write("GET /gate/gone HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            await().atMost(WAIT).until(() -> queue.length() == 1);
        }
        await().atMost(WAIT).until(() -> queue.length() == 0);
        assertThat(queue.abandonedTotal()).isEqualTo(1);

        CompletableFuture<HttpResponse<String>> next = get(balancer, "/gate/next");
        await().atMost(WAIT).until(() -> queue.length() == 1);
        origin.pass(2);
        assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(next.get(30, TimeUnit.SECONDS).body()).isEqualTo("one /gate/next");
        assertThat(origin.arrivals()).as("the client that left never reached the server")
                .containsExactly("/gate/held", "/gate/next");
    }

    @Test
    void withoutAQueueAFullServerIsAnswered503AtOnce() throws Exception {
        GateOrigin origin = GateOrigin.start("one");
        closing.add(origin);
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                backends:
                  - name: app
                    servers: [ { name: one, address: %s, max_connections: 1 } ]
                """.formatted(origin.address()));
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        closing.add(balancer);
        assertThat(balancer.backends().get("app").queue()).isNull();
        CompletableFuture<HttpResponse<String>> holder = get(balancer, "/gate/held");
        await().atMost(WAIT).until(() -> origin.held() == 1);
        assertThat(get(balancer, "/gate/refused").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        origin.pass(1);
        assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void http2StreamsQueueTooAndAGrpcCallPastTheTimeoutIsUnavailable() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        GateOrigin origin = GateOrigin.start("one");
        closing.add(origin);
        Balancer balancer = start(origin, "{ size: 10, timeout: 2s }");
        BackendQueue queue = queue(balancer);
        int port = balancer.address("web").getPort();
        CompletableFuture<HttpResponse<String>> holder = get(balancer, "/gate/held");
        await().atMost(WAIT).until(() -> origin.held() == 1);

        // A gRPC call over h2c waits, then gets the gRPC shape of 503: UNAVAILABLE.
        Path message = dir.resolve("request.bin");
        Files.write(message, new byte[] {0, 0, 0, 0, 0});
        Process grpc = new ProcessBuilder("curl", "-s", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@" + message,
                "http://127.0.0.1:" + port + "/gate.Service/Call").redirectErrorStream(true).start();
        String grpcHead = new String(grpc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(grpc.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(grpcHead).startsWith("HTTP/2 200").contains("grpc-status: 14\r\n");
        assertThat(queue.timeoutsTotal()).isEqualTo(1);

        // A plain HTTP/2 request waits for the slot and is served once it frees.
        Process h2 = new ProcessBuilder("curl", "-s", "--http2-prior-knowledge", "-w", " %{http_code}",
                "http://127.0.0.1:" + port + "/gate/h2").redirectErrorStream(true).start();
        await().atMost(WAIT).until(() -> queue.length() == 1);
        origin.pass(2);
        String h2Out = new String(h2.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(h2.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(h2Out).isEqualTo("one /gate/h2 200");
        assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(origin.arrivals()).containsExactly("/gate/held", "/gate/h2");
    }

    @Test
    void anH2cServerAtItsLimitTakesQueuedRequestsInOrder() throws Exception {
        java.util.concurrent.LinkedBlockingQueue<java.util.Map.Entry<String, H2Origin.Reply>> held =
                new java.util.concurrent.LinkedBlockingQueue<>();
        H2Origin origin = H2Origin.start("h2", (r, reply) -> held.add(java.util.Map.entry(
                r.headers().path().toString(), reply)));
        closing.add(origin);
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                backends:
                  - name: app
                    protocol: h2c
                    queue: { size: 10, timeout: 30s }
                    servers: [ { name: h2, address: %s, max_connections: 1 } ]
                """.formatted(origin.address()));
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        closing.add(balancer);
        BackendQueue queue = queue(balancer);

        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        sent.add(get(balancer, "/r/0"));
        await().atMost(WAIT).until(() -> held.size() == 1);
        for (int i = 1; i <= 3; i++) {
            sent.add(get(balancer, "/r/" + i));
            int expected = i;
            await().atMost(WAIT).until(() -> queue.length() == expected);
        }
        List<String> order = new ArrayList<>();
        for (int i = 0; i <= 3; i++) {
            java.util.Map.Entry<String, H2Origin.Reply> next = held.poll(30, TimeUnit.SECONDS);
            assertThat(next).as("request %d reached the server", i).isNotNull();
            assertThat(held).as("one stream at a time").isEmpty();
            order.add(next.getKey());
            next.getValue().text("h2 " + next.getKey());
            assertThat(sent.get(i).get(30, TimeUnit.SECONDS).body()).isEqualTo("h2 /r/" + i);
        }
        assertThat(order).containsExactly("/r/0", "/r/1", "/r/2", "/r/3");
        assertThat(queue.dispatchedTotal()).isEqualTo(3);
    }
}
