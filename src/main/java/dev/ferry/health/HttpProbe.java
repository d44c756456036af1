package dev.ferry.health;

import dev.ferry.config.Addresses;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.transport.Reasons;
import dev.ferry.config.HealthCheckConfig.HttpCheck;
import dev.ferry.transport.ServerTls;
import dev.ferry.transport.TlsOriginator;
import dev.ferry.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * {@code type: http}: sends one request ({@code method}, {@code path}, {@code Host}, {@code Connection: close}) and
 * passes when the status is within {@code expect_status} and, if {@code expect_body} is set, the first
 * {@value #BODY_LIMIT} bytes of the body contain it.
 */
public final class HttpProbe implements HealthProbe {
    /** How much of a body is searched for {@code expect_body} (HAProxy likewise looks at one buffer). */
    static final int BODY_LIMIT = 64 * 1024;

    private final Transport transport;
    private final HttpCheck config;

    public HttpProbe(Transport transport, HttpCheck config) {
        this.transport = transport;
        this.config = config;
    }

    @Override
    public void check(EventLoop loop, InetSocketAddress target, long timeoutNanos, Consumer<ProbeResult> done) {
        check(loop, target, null, timeoutNanos, done);
    }

    /** Over TLS: HTTPS, offering http/1.1 by ALPN. */
    @Override
    public void check(EventLoop loop, InetSocketAddress target, ServerTls tls, long timeoutNanos,
                      Consumer<ProbeResult> done) {
        ProbeExchange.run(transport, loop, target, tls, TlsOriginator.Alpn.HTTP_1_1, timeoutNanos,
                exchange -> initializer(exchange, target), null, done);
    }

    private ChannelHandler initializer(ProbeExchange exchange, InetSocketAddress target) {
        return new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new ResponseCheck(exchange, request(target)));
            }
        };
    }

    private FullHttpRequest request(InetSocketAddress target) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(config.method()),
                config.path(), Unpooled.EMPTY_BUFFER);
        String host = config.host().orElseGet(() -> hostHeader(target));
        request.headers().set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(HttpHeaderNames.USER_AGENT, "ferry-health-check")
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return request;
    }

    private static String hostHeader(InetSocketAddress target) {
        return Addresses.format(target.getHostString(), target.getPort());
    }

    /** Reads the response, deciding as early as it can. */
    private final class ResponseCheck extends SimpleChannelInboundHandler<HttpObject> {
        private final ProbeExchange exchange;
        private final FullHttpRequest request;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private int status;

        ResponseCheck(ProbeExchange exchange, FullHttpRequest request) {
            this.exchange = exchange;
            this.request = request;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(request);
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (exchange.isFinished()) {
                return;
            }
            if (msg.decoderResult().isFailure()) {
                exchange.finish(ProbeResult.fail("bad HTTP response: " + Reasons.of(msg.decoderResult().cause())));
                return;
            }
            if (msg instanceof HttpResponse response) {
                status = response.status().code();
                if (!config.expectStatus().contains(status)) {
                    exchange.finish(ProbeResult.fail("status " + status + ", expected " + expected()));
                    return;
                }
                if (config.expectBody().isEmpty()) {
                    exchange.finish(ProbeResult.pass("status " + status));
                    return;
                }
            }
            if (msg instanceof HttpContent content) {
                ByteBuf bytes = content.content();
                int take = Math.min(bytes.readableBytes(), BODY_LIMIT - body.size());
                byte[] chunk = new byte[take];
                bytes.getBytes(bytes.readerIndex(), chunk);
                body.write(chunk, 0, take);
                if (msg instanceof LastHttpContent || body.size() >= BODY_LIMIT) {
                    judgeBody();
                }
            }
        }

        private void judgeBody() {
            String wanted = config.expectBody().orElseThrow();
            String text = body.toString(StandardCharsets.UTF_8);
            exchange.finish(text.contains(wanted) ? ProbeResult.pass("status " + status + ", body matches")
                    : ProbeResult.fail("status " + status + ", body does not contain '" + wanted + "'"));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            exchange.finish(ProbeResult.fail(status == 0 ? "connection closed before a response"
                    : "connection closed before the whole body"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exchange.finish(ProbeResult.fail(Reasons.of(cause)));
        }

        private String expected() {
            HealthCheckConfig.StatusRange r = config.expectStatus();
            return r.low() == r.high() ? String.valueOf(r.low()) : r.low() + "-" + r.high();
        }
    }
}
