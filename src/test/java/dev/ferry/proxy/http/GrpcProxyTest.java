package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import dev.ferry.testing.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * gRPC through Ferry (issue 18 item 4) with a real grpc-java client over h2c: Ferry's own answers are gRPC-shaped
 * (HTTP 200, trailers-only, {@code grpc-status} 14 for no server or a failed connect, 4 for a timeout Ferry enforced,
 * 12 for no route) where a bare 503 would reach the application as {@code UNKNOWN}; {@code grpc-timeout} is the
 * request's deadline; a server's trailers reach the client. The servers behind Ferry speak HTTP/1.1 (HTTP/2 towards
 * servers is another change), which is all Ferry's own answers and the trailers need: the origin that "speaks gRPC"
 * writes a gRPC response as HTTP/1.1 chunks with trailers.
 */
@Timeout(60)
class GrpcProxyTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Balancer balancer;
    private Path accessLog;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    private <T extends AutoCloseable> T closing(T r) {
        resources.add(r);
        return r;
    }

    private InetSocketAddress start(String backend) throws Exception {
        accessLog = dir.resolve("access.json");
        balancer = new Balancer(ConfigLoader.parse("""
                access_log: { path: %s, format: json }
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: http,
                      routes: [ { match: { path_prefix: /grpc.testing.SimpleService/ }, backend: pool } ] }
                backends:
                  - name: pool
                %s
                """.formatted(accessLog, backend.indent(4)), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer.address("front");
    }

    private SimpleServiceGrpc.SimpleServiceBlockingStub client(InetSocketAddress front) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(front.getHostString(), front.getPort())
                .usePlaintext().build();
        resources.add(() -> {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        });
        return SimpleServiceGrpc.newBlockingStub(channel);
    }

    private static SimpleRequest hello() {
        return SimpleRequest.newBuilder().setRequestMessage("hello").build();
    }

    private static Status statusOf(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
        throw new AssertionError("the call succeeded");
    }

    /** The access log's lines once there are {@code n} (it is written off the event loops). */
    private List<String> accessLines(int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(accessLog)
                && Files.readAllLines(accessLog).size() >= n);
        try {
            return Files.readAllLines(accessLog);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** An HTTP/1 origin that reads a request and never answers; it notes when Ferry closes the connection. */
    private TestServer silentOrigin(CountDownLatch requested, CountDownLatch closedByFerry) {
        return closing(TestServer.start("silent", socket -> {
            InputStream in = socket.getInputStream();
            if (Origin.read(in, socket, socket.getOutputStream()) == null) {
                return;
            }
            requested.countDown();
            // Blocks until Ferry gives the request up and closes (or the test ends and the server closes it).
            if (in.read() == -1) {
                closedByFerry.countDown();
            }
        }));
    }

    @Test
    void noServerAvailableIsUnavailableNotABare503() throws Exception {
        TestServer quiesced = closing(Origin.naming("a"));
        InetSocketAddress front = start("servers: [ { name: a, address: %s, weight: 0 } ]"
                .formatted(quiesced.address()));

        Status status = statusOf(() -> client(front).withDeadlineAfter(10, TimeUnit.SECONDS).unaryRpc(hello()));

        // A bare 503 would be UNAVAILABLE too, by the client's own mapping, but with "HTTP status code 503" and the
        // text as its description; Ferry's grpc-message says what happened.
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).isEqualTo("ferry: no server is available");
        assertThat(quiesced.accepted()).isZero();
        // The access log records the HTTP status Ferry meant, with why.
        assertThat(accessLines(1).getFirst()).contains("\"status\":503", "\"termination\":\"no_server\"",
                "\"request\":\"POST /grpc.testing.SimpleService/UnaryRpc\"");
    }

    @Test
    void aRefusedConnectIsUnavailable() throws Exception {
        InetSocketAddress front = start("retries: 0\nservers: [ { name: gone, address: 127.0.0.1:%d } ]"
                .formatted(TestServer.closedPort()));

        Status status = statusOf(() -> client(front).withDeadlineAfter(10, TimeUnit.SECONDS).unaryRpc(hello()));

        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).isEqualTo("ferry: could not connect to the server");
        assertThat(accessLines(1).getFirst()).contains("\"status\":502", "\"termination\":\"server_failed\"");
    }

    @Test
    void noRouteIsUnimplemented() throws Exception {
        TestServer a = closing(Origin.naming("a"));
        InetSocketAddress front = start("servers: [ { name: a, address: %s } ]".formatted(a.address()));
        ManagedChannel channel = NettyChannelBuilder.forAddress(front.getHostString(), front.getPort())
                .usePlaintext().build();
        resources.add(channel::shutdownNow);
        // Health/Check is not under the route's prefix.
        Status status = statusOf(() -> io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()));

        assertThat(status.getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(status.getDescription()).isEqualTo("ferry: no route matches this request");
        assertThat(a.accepted()).isZero();
    }

    @Test
    void aResponseTimeoutFerryEnforcesIsDeadlineExceeded() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        TestServer silent = silentOrigin(requested, closed);
        InetSocketAddress front = start("""
                retries: 0
                timeouts: { response: 300ms }
                servers: [ { name: silent, address: %s } ]""".formatted(silent.address()));

        long started = System.nanoTime();
        // The client would wait 20 s: what ends the call at 300 ms is Ferry.
        Status status = statusOf(() -> client(front).withDeadlineAfter(20, TimeUnit.SECONDS).unaryRpc(hello()));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(status.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(status.getDescription()).isEqualTo("ferry: the server did not respond in time");
        assertThat(tookMillis).isBetween(250L, 10_000L);
        assertThat(requested.getCount()).isZero();
        // Ferry gave the server's request up: its connection was closed.
        assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(accessLines(1).getFirst()).contains("\"status\":504", "\"termination\":\"response_timeout\"");
        // The backend's own timeout counts against the server.
        assertThat(balancer.backends().get("pool").server("silent").orElseThrow().failures()).isPositive();
    }

    /**
     * grpc-java sends {@code grpc-timeout} from the call's deadline and ends the call itself when that passes, a hair
     * before Ferry would: so a client that leaves the deadline to Ferry is curl, sending {@code grpc-timeout} with no
     * deadline of its own. The backend's response timeout is 30 s; the answer comes at the grpc-timeout, from Ferry.
     */
    @Test
    void grpcTimeoutIsTheRequestsDeadline() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        TestServer silent = silentOrigin(requested, closed);
        InetSocketAddress front = start("""
                retries: 0
                timeouts: { response: 30s }
                servers: [ { name: silent, address: %s } ]""".formatted(silent.address()));
        Path message = dir.resolve("request.bin");
        Files.write(message, grpcFrame(hello().toByteArray()));

        long started = System.nanoTime();
        String head = run("curl", "-s", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                "-H", "content-type: application/grpc", "-H", "te: trailers", "-H", "grpc-timeout: 400m",
                "--data-binary", "@" + message,
                "http://127.0.0.1:" + front.getPort() + "/grpc.testing.SimpleService/UnaryRpc");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        // Trailers-only: the status and the gRPC fields in the one header block.
        assertThat(head).startsWith("HTTP/2 200").contains("content-type: application/grpc\r\n",
                "grpc-status: 4\r\n", "grpc-message: ferry: the deadline of the request (grpc-timeout 400m) passed "
                        + "before the server responded\r\n");
        assertThat(tookMillis).isBetween(350L, 10_000L);
        assertThat(requested.getCount()).isZero();
        assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(accessLines(1).getFirst()).contains("\"status\":504", "\"termination\":\"response_timeout\"");
        // The client's deadline is not the server's failure: it was within the backend's 30 s.
        assertThat(balancer.backends().get("pool").server("silent").orElseThrow().failures()).isZero();
    }

    /**
     * A grpc-java deadline: the client ends the call when it passes (a hair before Ferry's grpc-timeout would) or
     * Ferry does; either way the call is DEADLINE_EXCEEDED and the server's request is given up at once, not after the
     * backend's 30 s.
     */
    @Test
    void aClientDeadlineEndsTheServersRequestToo() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        TestServer silent = silentOrigin(requested, closed);
        InetSocketAddress front = start("""
                retries: 0
                timeouts: { response: 30s }
                servers: [ { name: silent, address: %s } ]""".formatted(silent.address()));

        ManagedChannel channel = NettyChannelBuilder.forAddress(front.getHostString(), front.getPort())
                .usePlaintext().build();
        resources.add(channel::shutdownNow);
        // A first call that Ferry answers at once (no route) opens the connection and loads the classes, so that
        // the deadline below is spent waiting for the server, not for the JVM.
        assertThat(statusOf(() -> io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())).getCode())
                .isEqualTo(Status.Code.UNIMPLEMENTED);

        Status status = statusOf(() -> SimpleServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(1, TimeUnit.SECONDS).unaryRpc(hello()));

        assertThat(status.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(requested.getCount()).isZero();
        assertThat(closed.await(5, TimeUnit.SECONDS)).isTrue();
        System.out.println("a grpc-java deadline of 1 s through Ferry, access log: " + accessLines(2).get(1));
        assertThat(accessLines(2).get(1)).containsAnyOf("\"termination\":\"client_closed\"",
                "\"termination\":\"response_timeout\"");
        assertThat(balancer.backends().get("pool").server("silent").orElseThrow().failures()).isZero();
    }

    /**
     * The deadline also runs while Ferry is still connecting: the server's accept queue is full, so its kernel drops
     * Ferry's SYN and the connect would wait for the 10 s connect timeout (then a 502, UNAVAILABLE).
     */
    @Test
    void grpcTimeoutRunsOutWhileTheConnectHangs() throws Exception {
        Requirements.requireCommand("curl", "apt-get install curl");
        java.net.ServerSocket full = closing(new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress()));
        List<Socket> queued = new ArrayList<>();
        resources.add(() -> {
            for (Socket q : queued) {
                q.close();
            }
        });
        // Connect until one hangs: the accept queue (backlog 1, never accepted) is full from then on.
        boolean hung = false;
        for (int i = 0; i < 16 && !hung; i++) {
            Socket q = new Socket();
            queued.add(q);
            try {
                q.connect(full.getLocalSocketAddress(), 300);
            } catch (java.net.SocketTimeoutException e) {
                hung = true;
            }
        }
        assertThat(hung).as("a connect to a full accept queue hangs").isTrue();
        InetSocketAddress front = start("""
                retries: 0
                timeouts: { connect: 10s, response: 30s }
                servers: [ { name: full, address: 127.0.0.1:%d } ]""".formatted(full.getLocalPort()));
        Path message = dir.resolve("request.bin");
        Files.write(message, grpcFrame(hello().toByteArray()));

        long started = System.nanoTime();
        String head = run("curl", "-s", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                "-H", "content-type: application/grpc", "-H", "te: trailers", "-H", "grpc-timeout: 400m",
                "--data-binary", "@" + message,
                "http://127.0.0.1:" + front.getPort() + "/grpc.testing.SimpleService/UnaryRpc");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(head).startsWith("HTTP/2 200").contains("grpc-status: 4\r\n",
                "grpc-message: ferry: the deadline of the request (grpc-timeout 400m) passed before the server "
                        + "responded\r\n");
        assertThat(tookMillis).isBetween(350L, 5_000L);
        assertThat(accessLines(1).getFirst()).contains("\"status\":504", "\"termination\":\"response_timeout\"");
        assertThat(balancer.backends().get("pool").server("full").orElseThrow().failures()).isZero();
    }

    @Test
    void theServersTrailersReachTheClient() throws Exception {
        byte[] reply = grpcFrame(SimpleResponse.newBuilder().setResponseMessage("hi there").build().toByteArray());
        TestServer speaker = closing(Origin.start("speaker", (r, out, s) -> {
            boolean fail = r.bodyText().contains("fail");
            // A gRPC response as HTTP/1.1 can carry it: chunks, then the status in the trailer section.
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(("HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n"
                    + "trailer: grpc-status, grpc-message\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            if (!fail) {
                b.writeBytes((Integer.toHexString(reply.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                b.writeBytes(reply);
                b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            String trailers = fail ? "grpc-status: 5\r\ngrpc-message: no such thing%21\r\n" : "grpc-status: 0\r\n";
            b.writeBytes(("0\r\n" + trailers + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b.toByteArray());
            out.flush();
            return true;
        }));
        InetSocketAddress front = start("servers: [ { name: speaker, address: %s } ]".formatted(speaker.address()));
        SimpleServiceGrpc.SimpleServiceBlockingStub stub = client(front).withDeadlineAfter(10, TimeUnit.SECONDS);

        assertThat(stub.unaryRpc(hello()).getResponseMessage()).isEqualTo("hi there");
        assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.newBuilder().setRequestMessage("fail").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no such thing!");
                });
    }

    @Test
    void anHttp1GrpcRequestGetsTheSameAnswerInItsHead() throws Exception {
        TestServer quiesced = closing(Origin.naming("a"));
        InetSocketAddress front = start("servers: [ { name: a, address: %s, weight: 0 } ]"
                .formatted(quiesced.address()));
        try (Socket s = new Socket(front.getAddress(), front.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /grpc.testing.SimpleService/UnaryRpc HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/grpc+proto\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").contains("content-type: application/grpc\r\n",
                    "grpc-status: 14\r\n", "grpc-message: ferry: no server is available\r\n",
                    "content-length: 0\r\n");
        }
    }

    private static String readHead(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** A gRPC length-prefixed message: not compressed, 4-byte big-endian length, the bytes. */
    private static byte[] grpcFrame(byte[] message) {
        byte[] framed = new byte[5 + message.length];
        framed[1] = (byte) (message.length >>> 24);
        framed[2] = (byte) (message.length >>> 16);
        framed[3] = (byte) (message.length >>> 8);
        framed[4] = (byte) message.length;
        System.arraycopy(message, 0, framed, 5, message.length);
        return framed;
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), err).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }
}
