package dev.ferry.proxy.http;

import com.google.common.util.concurrent.ListenableFuture;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * gRPC balanced per call (issue 18): real grpc-java clients through Ferry to real grpc-java servers
 * ({@link GrpcOrigin}) behind a backend with {@code protocol: h2c}. The calls of one client connection spread over
 * the servers one by one in the scheduler's proportion; streaming calls arrive whole and in order both ways; a server
 * stopped mid-stream fails that call, never ends it as a success, and the others carry on; a server's status and
 * trailers, and the client's metadata, cross h2 to h2 intact; a server's graceful GOAWAY is invisible to the client;
 * the grpc health check takes a NOT_SERVING server out of the balancing.
 */
@Timeout(120)
class GrpcBalancingTest {
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

    private List<GrpcOrigin> origins(String... names) throws Exception {
        List<GrpcOrigin> list = new ArrayList<>();
        for (String n : names) {
            GrpcOrigin o = GrpcOrigin.start(n);
            resources.add(o);
            list.add(o);
        }
        return list;
    }

    /** Ferry with one frontend in front of backend "pool" (h2c) of {@code origins}, weights as given (or 1). */
    private InetSocketAddress start(String backendExtra, List<GrpcOrigin> origins, int... weights) throws Exception {
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < origins.size(); i++) {
            GrpcOrigin o = origins.get(i);
            servers.append("- { name: ").append(o.name).append(", address: 127.0.0.1:").append(o.address().getPort())
                    .append(", weight: ").append(weights.length > i ? weights[i] : 1).append(" }\n");
        }
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - name: pool
                    protocol: h2c
                %s
                    servers:
                %s
                """.formatted(backendExtra.indent(4), servers.toString().indent(6)), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer.address("front");
    }

    private Server server(String name) {
        return balancer.backends().get("pool").server(name).orElseThrow();
    }

    private HttpFrontend frontend() {
        return (HttpFrontend) balancer.frontends().getFirst();
    }

    private ManagedChannel channel(InetSocketAddress front) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(front.getHostString(), front.getPort())
                .usePlaintext().build();
        resources.add(() -> {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        });
        return channel;
    }

    private static SimpleRequest message(String text) {
        return SimpleRequest.newBuilder().setRequestMessage(text).build();
    }

    /**
     * {@code n} unary calls on {@code channel}, at most {@code inFlight} at a time: how many each server answered.
     * Every call must succeed.
     */
    private static Map<String, Integer> unaryCalls(ManagedChannel channel, int n, int inFlight) throws Exception {
        SimpleServiceGrpc.SimpleServiceFutureStub stub = SimpleServiceGrpc.newFutureStub(channel);
        Semaphore slots = new Semaphore(inFlight);
        List<ListenableFuture<SimpleResponse>> calls = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            assertThat(slots.tryAcquire(20, TimeUnit.SECONDS)).as("a slot for call %d", i).isTrue();
            ListenableFuture<SimpleResponse> f = stub.withDeadlineAfter(20, TimeUnit.SECONDS)
                    .unaryRpc(message("hello"));
            f.addListener(slots::release, Runnable::run);
            calls.add(f);
        }
        Map<String, Integer> perServer = new TreeMap<>();
        for (ListenableFuture<SimpleResponse> f : calls) {
            perServer.merge(f.get(20, TimeUnit.SECONDS).getResponseMessage(), 1, Integer::sum);
        }
        return perServer;
    }

    // ---- 1. balancing per call ----

    @Test
    void callsOfOneClientConnectionSpreadOverAllServersInWrrProportion() throws Exception {
        List<GrpcOrigin> o = origins("a", "b", "c");
        InetSocketAddress front = start("scheduler: wrr", o, 3, 2, 1);
        ManagedChannel channel = channel(front);

        long started = System.nanoTime();
        Map<String, Integer> perServer = unaryCalls(channel, 600, 50);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        System.out.printf("gRPC wrr 3:2:1, 600 unary calls on one connection, 50 in flight: %s in %d ms%n",
                perServer, tookMillis);
        // wrr is deterministic: exactly each weight's share.
        assertThat(perServer).isEqualTo(Map.of("a", 300, "b", 200, "c", 100));
        assertThat(o.get(0).calls.get()).isEqualTo(300);
        assertThat(o.get(1).calls.get()).isEqualTo(200);
        assertThat(o.get(2).calls.get()).isEqualTo(100);
        // One client connection, each server one shared HTTP/2 connection from Ferry.
        assertThat(frontend().stats().accepted()).isEqualTo(1);
        assertThat(frontend().requestsByProtocol().h2()).isEqualTo(600);
        for (GrpcOrigin each : o) {
            assertThat(each.connections.get()).as(each.name).isEqualTo(1);
        }
    }

    /** The "gRPC spread figure": 10,000 calls of one connection over 3 servers with rr. */
    @Test
    void tenThousandCallsOfOneConnectionSpreadEvenlyWithRr() throws Exception {
        List<GrpcOrigin> o = origins("a", "b", "c");
        InetSocketAddress front = start("scheduler: rr", o);
        ManagedChannel channel = channel(front);
        // A first call opens the client's connection and Ferry's to one server, and warms the JVM.
        assertThat(SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                .unaryRpc(message("warm")).getResponseMessage()).isIn("a", "b", "c");

        long started = System.nanoTime();
        Map<String, Integer> perServer = unaryCalls(channel, 10_000, 50);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        int max = Collections.max(perServer.values());
        int min = Collections.min(perServer.values());
        System.out.printf("gRPC spread figure: rr over 3 servers, 10000 unary calls on one connection, 50 in flight: "
                + "%s, max %d, min %d, in %d ms (%.0f calls/s)%n", perServer, max, min, tookMillis,
                10_000 * 1000.0 / Math.max(1, tookMillis));
        assertThat(perServer.keySet()).containsExactly("a", "b", "c");
        // rr is exact: 10 001 calls with the warm-up, so the servers got 3334/3334/3333 in all.
        assertThat(o.stream().mapToInt(x -> x.calls.get()).sorted().toArray()).containsExactly(3333, 3334, 3334);
        assertThat(max - min).isLessThanOrEqualTo(1);
        assertThat(frontend().stats().accepted()).isEqualTo(1);
    }

    // ---- 2. streaming ----

    @Test
    void serverStreamingAndBidiStreamingArriveWholeAndInOrder() throws Exception {
        List<GrpcOrigin> o = origins("a");
        InetSocketAddress front = start("", o);
        ManagedChannel channel = channel(front);

        Iterator<SimpleResponse> stream = SimpleServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS).serverStreamingRpc(message("1000/1024"));
        // 1000 messages of 1 KiB: four times Ferry's stream window towards the server, so the window must reopen.
        String pad = " " + "x".repeat(1024);
        int i = 0;
        while (stream.hasNext() && i <= 1000) {
            assertThat(stream.next().getResponseMessage()).isEqualTo("a " + i + pad);
            i++;
        }
        assertThat(i).isEqualTo(1000);

        // Bidi: one message out, its echo back, before the next goes (so each direction is open while the other
        // flows), then the client half-closes and the call ends OK.
        LinkedBlockingQueue<Object> echoes = new LinkedBlockingQueue<>();
        StreamObserver<SimpleRequest> out = SimpleServiceGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .bidiStreamingRpc(new StreamObserver<>() {
                    @Override
                    public void onNext(SimpleResponse r) {
                        echoes.add(r.getResponseMessage());
                    }

                    @Override
                    public void onError(Throwable t) {
                        echoes.add(t);
                    }

                    @Override
                    public void onCompleted() {
                        echoes.add("completed");
                    }
                });
        for (int m = 0; m < 200; m++) {
            out.onNext(message("m" + m));
            assertThat(echoes.poll(10, TimeUnit.SECONDS)).isEqualTo("a m" + m);
        }
        out.onCompleted();
        assertThat(echoes.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");
    }

    @Test
    void clientStreamingWithLargeMessagesGoesThroughFlowControl() throws Exception {
        List<GrpcOrigin> o = origins("a");
        InetSocketAddress front = start("", o);
        ManagedChannel channel = channel(front);
        CompletableFuture<String> answer = new CompletableFuture<>();
        StreamObserver<SimpleRequest> out = SimpleServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .clientStreamingRpc(new StreamObserver<>() {
                    @Override
                    public void onNext(SimpleResponse r) {
                        answer.complete(r.getResponseMessage());
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answer.complete("completed without a message");
                    }
                });
        String big = "x".repeat(64 * 1024);
        long started = System.nanoTime();
        // 200 x 64 KiB = 12.5 MiB: far more than Ferry's stream and connection windows towards the server, and the
        // client's towards Ferry.
        for (int m = 0; m < 200; m++) {
            out.onNext(message(big));
        }
        out.onCompleted();
        assertThat(answer.get(60, TimeUnit.SECONDS)).isEqualTo("a 200 " + 200L * big.length());
        System.out.printf("gRPC client streaming, 200 x 64 KiB through Ferry: %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    // ---- 3. a server stopped mid-stream ----

    @Test
    void aServerStoppedMidStreamFailsThatCallAndTheOthersGoElsewhere() throws Exception {
        List<GrpcOrigin> o = origins("a", "b", "c");
        InetSocketAddress front = start("retries: 2", o);
        ManagedChannel channel = channel(front);
        Iterator<SimpleResponse> stream = SimpleServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS).serverStreamingRpc(message("endless"));
        String first = stream.next().getResponseMessage();
        GrpcOrigin victim = o.stream().filter(x -> first.startsWith(x.name + " ")).findFirst().orElseThrow();
        // More messages flow; then the server stops, its connections cut.
        assertThat(stream.next().getResponseMessage()).isEqualTo(victim.name + " 1");
        victim.server.shutdownNow();
        assertThat(victim.server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

        Status status = null;
        int after = 0;
        // Bounded: the server sends at most 60 000 messages.
        try {
            while (stream.hasNext() && after < 70_000) {
                stream.next();
                after++;
            }
        } catch (StatusRuntimeException e) {
            status = e.getStatus();
        }
        System.out.printf("gRPC server %s stopped mid-stream: the client got %s after %d more messages%n",
                victim.name, status, after);
        assertThat(status).as("the call ends with an error, never as a success").isNotNull();
        // Ferry resets the client's stream with INTERNAL_ERROR, which gRPC maps to INTERNAL.
        assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(status.getDescription()).contains("RST_STREAM");
        assertThat(server(victim.name).failures()).isPositive();

        // New calls all succeed, on the others.
        Map<String, Integer> perServer = unaryCalls(channel, 60, 10);
        System.out.printf("after %s stopped: %s%n", victim.name, perServer);
        assertThat(perServer).doesNotContainKey(victim.name);
        assertThat(perServer.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
    }

    // ---- 4. status, trailers, metadata ----

    @Test
    void aServersStatusAndTrailersReachTheClientAndTheClientsMetadataTheServer() throws Exception {
        List<GrpcOrigin> o = origins("a");
        InetSocketAddress front = start("", o);
        ManagedChannel channel = channel(front);
        Metadata.Key<String> tenant = Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);
        Metadata.Key<byte[]> blob = Metadata.Key.of("x-blob-bin", Metadata.BINARY_BYTE_MARSHALLER);
        Metadata sent = new Metadata();
        sent.put(tenant, "acme");
        sent.put(blob, new byte[] {0, 1, 2, (byte) 0xff});
        SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent))
                .withDeadlineAfter(20, TimeUnit.SECONDS);

        StatusRuntimeException failure = null;
        try {
            stub.unaryRpc(message("fail"));
        } catch (StatusRuntimeException e) {
            failure = e;
        }
        assertThat(failure).isNotNull();
        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(failure.getStatus().getDescription()).isEqualTo("no such thing at a");
        assertThat(failure.getTrailers()).isNotNull();
        assertThat(failure.getTrailers().get(GrpcOrigin.WHY)).isEqualTo("missing");
        // With a message before it, the status and x-why come in real trailers (a HEADERS frame after DATA).
        Iterator<SimpleResponse> stream = SimpleServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS).serverStreamingRpc(message("fail-after-1"));
        assertThat(stream.next().getResponseMessage()).isEqualTo("a 0");
        StatusRuntimeException late = null;
        try {
            stream.hasNext();
        } catch (StatusRuntimeException e) {
            late = e;
        }
        assertThat(late).isNotNull();
        assertThat(late.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(late.getStatus().getDescription()).isEqualTo("gone at a");
        assertThat(late.getTrailers().get(GrpcOrigin.WHY)).isEqualTo("gone");
        // A non-OK status is the server's answer, not its failure: HTTP 200 with grpc-status in the trailers.
        assertThat(server("a").failures()).isZero();

        Metadata seen = o.getFirst().heads.getFirst();
        assertThat(seen.get(tenant)).isEqualTo("acme");
        assertThat(seen.get(blob)).containsExactly(0, 1, 2, 0xff);
        assertThat(seen.get(Metadata.Key.of("content-type", Metadata.ASCII_STRING_MARSHALLER)))
                .isEqualTo("application/grpc");
        assertThat(seen.get(Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER))).isNotNull();
    }

    /**
     * grpc-java keeps {@code te} out of a call's Metadata, so the field is looked for on the wire: Ferry forwards the
     * grpc-java client's call to an h2c origin ({@link H2Origin}) that records the head and answers gRPC-shaped.
     */
    @Test
    void teTrailersReachesTheServer() throws Exception {
        byte[] answer = SimpleResponse.newBuilder().setResponseMessage("wire").build().toByteArray();
        byte[] framed = new byte[5 + answer.length];
        framed[4] = (byte) answer.length;
        System.arraycopy(answer, 0, framed, 5, answer.length);
        H2Origin wire = H2Origin.start("wire", (r, reply) -> reply.send(200, framed,
                Map.of("content-type", "application/grpc"), Map.of("grpc-status", "0")));
        resources.add(wire);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends: [ { name: front, listen: 127.0.0.1:0, mode: http, backend: pool } ]
                backends:
                  - { name: pool, protocol: h2c, servers: [ { name: wire, address: %s } ] }
                """.formatted(wire.address()), Path.of("test.yaml")), 1);
        balancer.start();
        ManagedChannel channel = channel(balancer.address("front"));

        assertThat(SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                .unaryRpc(message("hello")).getResponseMessage()).isEqualTo("wire");
        H2Origin.Request seen = wire.requests.getFirst();
        assertThat(seen.header("te")).isEqualTo("trailers");
        assertThat(seen.header("content-type")).isEqualTo("application/grpc");
        assertThat(seen.header(":path")).isEqualTo("/grpc.testing.SimpleService/UnaryRpc");
    }

    // ---- 5. GOAWAY ----

    @Test
    void aServersGracefulGoAwayIsInvisibleToTheClient() throws Exception {
        List<GrpcOrigin> o = origins("a", "b", "c");
        InetSocketAddress front = start("retries: 2", o);
        ManagedChannel channel = channel(front);
        SimpleServiceGrpc.SimpleServiceFutureStub stub = SimpleServiceGrpc.newFutureStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        // Six calls held by the servers, two each (rr).
        List<ListenableFuture<SimpleResponse>> held = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            held.add(stub.unaryRpc(message("hold")));
        }
        GrpcOrigin a = o.getFirst();
        await().atMost(WITHIN).until(() -> o.stream().allMatch(x -> x.held.get() == 2));

        // Graceful: grpc-java sends GOAWAY, stops listening, and lets the calls it has finish.
        a.server.shutdown();
        await().atMost(WITHIN).until(() -> a.server.isShutdown());

        // New calls succeed, elsewhere (a's connection takes no new streams, a new connect to a is refused).
        long started = System.nanoTime();
        Map<String, Integer> perServer = unaryCalls(channel, 60, 10);
        System.out.printf("while a goes away: %s in %d ms%n", perServer,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        assertThat(perServer).doesNotContainKey("a");
        assertThat(perServer.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);

        // The calls in flight on a complete OK.
        o.forEach(GrpcOrigin::release);
        Map<String, Integer> heldBy = new TreeMap<>();
        for (ListenableFuture<SimpleResponse> f : held) {
            heldBy.merge(f.get(20, TimeUnit.SECONDS).getResponseMessage(), 1, Integer::sum);
        }
        assertThat(heldBy).isEqualTo(Map.of("a", 2, "b", 2, "c", 2));
        assertThat(a.server.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    // ---- 6. the grpc health check with h2c forwarding ----

    @Test
    void aNotServingServerGetsNoFurtherCalls() throws Exception {
        List<GrpcOrigin> o = origins("a", "b", "c");
        InetSocketAddress front = start("scheduler: rr\nhealth_check: { type: grpc, interval: 200ms, timeout: 500ms, rise: 2, "
                + "fall: 2 }", o);
        await().atMost(WITHIN).until(() -> o.stream().allMatch(x -> server(x.name).healthy()));
        ManagedChannel channel = channel(front);
        assertThat(unaryCalls(channel, 30, 10)).isEqualTo(Map.of("a", 10, "b", 10, "c", 10));

        GrpcOrigin b = o.get(1);
        long turned = System.nanoTime();
        b.health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        await().atMost(WITHIN).until(() -> !server("b").healthy());
        long downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - turned);
        int before = b.calls.get();

        Map<String, Integer> perServer = unaryCalls(channel, 300, 20);
        System.out.printf("grpc check + h2c: b NOT_SERVING out after %d ms; then %s%n", downMillis, perServer);
        assertThat(perServer).isEqualTo(Map.of("a", 150, "c", 150));
        assertThat(b.calls.get()).isEqualTo(before);
    }
}
