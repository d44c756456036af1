package dev.ferry.health;

import dev.ferry.config.Addresses;
import dev.ferry.config.HealthCheckConfig.GrpcCheck;
import dev.ferry.transport.Reasons;
import dev.ferry.transport.ServerTls;
import dev.ferry.transport.TlsOriginator;
import dev.ferry.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code type: grpc}: one {@code grpc.health.v1.Health/Check} call for {@code service} over h2c (HTTP/2 by prior
 * knowledge, Netty's {@link Http2ConnectionHandler} as the client codec), passing when the call ends with
 * {@code grpc-status: 0} and a HealthCheckResponse saying {@code SERVING}. {@code NOT_SERVING},
 * {@code SERVICE_UNKNOWN}, {@code UNKNOWN}, any other {@code grpc-status}, an HTTP status other than 200, a reset
 * stream, a connection that closes first and the check's timeout (also sent as {@code grpc-timeout}, so the server
 * may give up too) are failures. The messages are {@link GrpcHealthMessages}.
 *
 * <p>Each check opens its own connection and ends it with a reset, as every other probe ({@link ProbeExchange}):
 * at health-check rates a connection per check costs a handshake and spares keeping HTTP/2 connections, their
 * GOAWAYs and their liveness between checks.
 *
 * <p>Threading: as {@link HealthProbe}; each check's handler lives on its channel's event loop.
 */
public final class GrpcProbe implements HealthProbe {
    private final Transport transport;
    private final byte[] request;

    public GrpcProbe(Transport transport, GrpcCheck config) {
        this.transport = transport;
        this.request = GrpcHealthMessages.request(config.service());
    }

    @Override
    public void check(EventLoop loop, InetSocketAddress target, long timeoutNanos, Consumer<ProbeResult> done) {
        check(loop, target, null, timeoutNanos, done);
    }

    /** Over TLS: HTTP/2 chosen by ALPN ({@code h2}, scheme {@code https}). */
    @Override
    public void check(EventLoop loop, InetSocketAddress target, ServerTls tls, long timeoutNanos,
                      Consumer<ProbeResult> done) {
        ProbeExchange.run(transport, loop, target, tls, tls == null ? TlsOriginator.Alpn.NONE : TlsOriginator.Alpn.H2,
                timeoutNanos, exchange -> initializer(exchange, target, timeoutNanos, tls != null), null, done);
    }

    private ChannelHandler initializer(ProbeExchange exchange, InetSocketAddress target, long timeoutNanos,
                                       boolean tls) {
        return new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                Call call = new Call(exchange, headers(target, timeoutNanos, tls));
                Http2ConnectionHandler codec = new Http2ConnectionHandlerBuilder()
                        .server(false)
                        .frameListener(call.frames)
                        .gracefulShutdownTimeoutMillis(0)
                        .build();
                call.codec = codec;
                ch.pipeline().addLast(codec, call);
            }
        };
    }

    private static Http2Headers headers(InetSocketAddress target, long timeoutNanos, boolean tls) {
        return new DefaultHttp2Headers()
                .method("POST")
                .scheme(tls ? "https" : "http")
                .path(GrpcHealthMessages.PATH)
                .authority(Addresses.format(target.getHostString(), target.getPort()))
                .add("content-type", "application/grpc")
                .add("te", "trailers")
                .add("user-agent", "ferry-health-check")
                .add("grpc-timeout", grpcTimeout(timeoutNanos));
    }

    /** {@code grpc-timeout} for the check's timeout: at most 8 digits, in milliseconds while they fit. */
    static String grpcTimeout(long timeoutNanos) {
        long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        if (millis <= 99_999_999L) {
            return millis + "m";
        }
        return Math.min(99_999_999L, TimeUnit.MILLISECONDS.toSeconds(millis)) + "S";
    }

    /** One call: sends the request once the connection is up, reads the answer, decides. */
    private final class Call extends ChannelInboundHandlerAdapter {
        private final ProbeExchange exchange;
        private final Http2Headers headers;
        private final Frames frames = new Frames();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private Http2ConnectionHandler codec;
        private int streamId;
        private boolean gotHead;

        Call(ProbeExchange exchange, Http2Headers headers) {
            this.exchange = exchange;
            this.headers = headers;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            // The codec before this handler has sent the connection preface and its SETTINGS by now.
            ChannelHandlerContext codecCtx = ctx.pipeline().context(codec);
            streamId = codec.connection().local().incrementAndGetNextStreamId();
            codec.encoder().writeHeaders(codecCtx, streamId, headers, 0, false, codecCtx.newPromise());
            codec.encoder().writeData(codecCtx, streamId, Unpooled.wrappedBuffer(request), 0, true,
                    codecCtx.newPromise()).addListener(f -> {
                        if (!f.isSuccess()) {
                            exchange.finish(ProbeResult.fail(Reasons.of(f.cause())));
                        }
                    });
            codecCtx.flush();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            exchange.finish(ProbeResult.fail(gotHead ? "the connection closed before the call ended"
                    : "the connection closed before an answer (is it a gRPC server speaking h2c?)"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exchange.finish(ProbeResult.fail(Reasons.of(cause)));
        }

        private void head(Http2Headers h, boolean endStream) {
            gotHead = true;
            CharSequence status = h.status();
            if (status == null || !"200".contentEquals(status)) {
                exchange.finish(ProbeResult.fail("HTTP status " + status + ", expected 200"));
                return;
            }
            CharSequence type = h.get("content-type");
            if (type == null || !type.toString().toLowerCase(Locale.ROOT).startsWith("application/grpc")) {
                exchange.finish(ProbeResult.fail("content-type " + type + ", expected application/grpc"));
                return;
            }
            if (endStream) {
                // Trailers-only: the call failed before any message.
                trailers(h);
            }
        }

        private void trailers(Http2Headers h) {
            CharSequence grpcStatus = h.get("grpc-status");
            if (grpcStatus == null) {
                exchange.finish(ProbeResult.fail("the call ended without grpc-status"));
                return;
            }
            if (!"0".contentEquals(grpcStatus)) {
                CharSequence message = h.get("grpc-message");
                exchange.finish(ProbeResult.fail("grpc-status " + grpcStatus
                        + (message == null ? "" : " (" + message + ")")));
                return;
            }
            int serving;
            try {
                serving = GrpcHealthMessages.status(body.toByteArray());
            } catch (IllegalArgumentException e) {
                exchange.finish(ProbeResult.fail(e.getMessage()));
                return;
            }
            String name = GrpcHealthMessages.statusName(serving);
            exchange.finish(serving == GrpcHealthMessages.SERVING ? ProbeResult.pass(name) : ProbeResult.fail(name));
        }

        /** The codec's frame events for the call's stream. */
        private final class Frames extends Http2FrameAdapter {
            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int id, Http2Headers h, int padding,
                                      boolean endStream) {
                if (exchange.isFinished() || id != streamId) {
                    return;
                }
                if (!gotHead) {
                    head(h, endStream);
                } else if (endStream) {
                    trailers(h);
                }
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int id, Http2Headers h, int streamDependency,
                                      short weight, boolean exclusive, int padding, boolean endStream) {
                onHeadersRead(ctx, id, h, padding, endStream);
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int id, ByteBuf data, int padding, boolean endOfStream) {
                int processed = data.readableBytes() + padding;
                if (exchange.isFinished() || id != streamId) {
                    return processed;
                }
                int take = Math.min(data.readableBytes(), GrpcHealthMessages.MAX_RESPONSE - body.size());
                if (take < data.readableBytes()) {
                    exchange.finish(ProbeResult.fail("a response longer than " + GrpcHealthMessages.MAX_RESPONSE
                            + " bytes"));
                    return processed;
                }
                byte[] chunk = new byte[take];
                data.getBytes(data.readerIndex(), chunk);
                body.write(chunk, 0, take);
                if (endOfStream) {
                    exchange.finish(ProbeResult.fail("the call ended without trailers (no grpc-status)"));
                }
                return processed;
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int id, long errorCode) {
                if (id == streamId) {
                    exchange.finish(ProbeResult.fail("the server reset the call (HTTP/2 error " + errorCode + ")"));
                }
            }

            @Override
            public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
                if (lastStreamId < streamId) {
                    exchange.finish(ProbeResult.fail("the server refused the call (GOAWAY, HTTP/2 error " + errorCode
                            + ")"));
                }
            }
        }
    }
}
