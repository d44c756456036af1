package dev.ferry.proxy.http;

import io.grpc.Attributes;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real grpc-java server (Netty, h2c) on 127.0.0.1 with {@code grpc.testing.SimpleService} and the standard health
 * service, for tests of Ferry balancing gRPC over HTTP/2 to servers. Every answer carries the server's name.
 *
 * <p>Unary: {@code "<name>"}; a request {@code "fail"} ends NOT_FOUND with the trailer {@code x-why: missing}; a
 * request {@code "hold"} waits for {@link #release} first. Server streaming: the request is a count {@code N} (or
 * {@code N/P}) and the answer {@code N} messages {@code "<name> <i>"} (padded with a space and {@code P} x's);
 * {@code "fail-after-1"} one message, then NOT_FOUND with the trailer {@code x-why: gone};
 * {@code "endless"} sends one message every millisecond until the call is cancelled or the server stops (at most
 * 60 s). Client streaming: one answer {@code "<name> <messages> <bytes>"}.
 * Bidi: each message echoed back as {@code "<name> <message>"}, the call ended when the client's ends.
 *
 * <p>Threading: grpc-java calls the service on its executor; what the test reads (counters, the heads seen) is
 * thread-safe.
 */
final class GrpcOrigin implements AutoCloseable {
    static final Metadata.Key<String> WHY = Metadata.Key.of("x-why", Metadata.ASCII_STRING_MARSHALLER);

    final String name;
    final io.grpc.Server server;
    final HealthStatusManager health = new HealthStatusManager();
    /** Calls of any method that reached this server. */
    final AtomicInteger calls = new AtomicInteger();
    /** Transports (HTTP/2 connections) the server accepted. */
    final AtomicInteger connections = new AtomicInteger();
    /** The request headers of every call, in arrival order. */
    final List<Metadata> heads = new CopyOnWriteArrayList<>();
    /** The "hold" calls that arrived. */
    final AtomicInteger held = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);

    private GrpcOrigin(String name) throws IOException {
        this(name, InsecureServerCredentials.create());
    }

    private GrpcOrigin(String name, io.grpc.ServerCredentials credentials) throws IOException {
        this.name = name;
        ServerInterceptor recordHeads = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                heads.add(headers);
                calls.incrementAndGet();
                return next.startCall(call, headers);
            }
        };
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials)
                .addService(ServerInterceptors.intercept(new Service(), recordHeads))
                .addService(health.getHealthService())
                .addTransportFilter(new ServerTransportFilter() {
                    @Override
                    public Attributes transportReady(Attributes attributes) {
                        connections.incrementAndGet();
                        return attributes;
                    }
                })
                .build().start();
    }

    static GrpcOrigin start(String name) throws IOException {
        return new GrpcOrigin(name);
    }

    /** A gRPC server over TLS (h2 by ALPN) with this certificate and key. */
    static GrpcOrigin startTls(String name, java.nio.file.Path cert, java.nio.file.Path key) throws IOException {
        return new GrpcOrigin(name, io.grpc.TlsServerCredentials.create(cert.toFile(), key.toFile()));
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getListenSockets().getFirst();
    }

    /** Lets every "hold" call (waiting or to come) answer. */
    void release() {
        release.countDown();
    }

    @Override
    public void close() throws InterruptedException {
        release();
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static SimpleResponse reply(String text) {
        return SimpleResponse.newBuilder().setResponseMessage(text).build();
    }

    private final class Service extends SimpleServiceGrpc.SimpleServiceImplBase {
        @Override
        public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
            switch (request.getRequestMessage()) {
                case "fail" -> {
                    Metadata trailers = new Metadata();
                    trailers.put(WHY, "missing");
                    out.onError(Status.NOT_FOUND.withDescription("no such thing at " + name)
                            .asRuntimeException(trailers));
                }
                case "hold" -> {
                    held.incrementAndGet();
                    try {
                        if (!release.await(30, TimeUnit.SECONDS)) {
                            out.onError(Status.ABORTED.withDescription("never released").asRuntimeException());
                            return;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        out.onError(Status.CANCELLED.asRuntimeException());
                        return;
                    }
                    out.onNext(reply(name));
                    out.onCompleted();
                }
                default -> {
                    out.onNext(reply(name));
                    out.onCompleted();
                }
            }
        }

        @Override
        public void serverStreamingRpc(SimpleRequest request, StreamObserver<SimpleResponse> out) {
            if (request.getRequestMessage().equals("fail-after-1")) {
                // A message first, so the status goes in real trailers (not a trailers-only head).
                out.onNext(reply(name + " 0"));
                Metadata trailers = new Metadata();
                trailers.put(WHY, "gone");
                out.onError(Status.NOT_FOUND.withDescription("gone at " + name).asRuntimeException(trailers));
                return;
            }
            if (request.getRequestMessage().equals("endless")) {
                ServerCallStreamObserver<SimpleResponse> call = (ServerCallStreamObserver<SimpleResponse>) out;
                // Bounded: 60 000 messages at one per millisecond; ends early once cancelled (the client or a stop).
                for (int i = 0; i < 60_000 && !call.isCancelled(); i++) {
                    try {
                        call.onNext(reply(name + " " + i));
                        Thread.sleep(1);
                    } catch (InterruptedException | RuntimeException e) {
                        return;
                    }
                }
                if (!call.isCancelled()) {
                    call.onCompleted();
                }
                return;
            }
            String[] count = request.getRequestMessage().split("/");
            int n = Integer.parseInt(count[0]);
            String pad = count.length > 1 ? " " + "x".repeat(Integer.parseInt(count[1])) : "";
            for (int i = 0; i < n; i++) {
                out.onNext(reply(name + " " + i + pad));
            }
            out.onCompleted();
        }

        @Override
        public StreamObserver<SimpleRequest> clientStreamingRpc(StreamObserver<SimpleResponse> out) {
            return new StreamObserver<>() {
                private int messages;
                private long bytes;

                @Override
                public void onNext(SimpleRequest r) {
                    messages++;
                    bytes += r.getRequestMessageBytes().size();
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onNext(reply(name + " " + messages + " " + bytes));
                    out.onCompleted();
                }
            };
        }

        @Override
        public StreamObserver<SimpleRequest> bidiStreamingRpc(StreamObserver<SimpleResponse> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(SimpleRequest r) {
                    out.onNext(reply(name + " " + r.getRequestMessage()));
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }
}
