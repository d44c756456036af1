package dev.ferry.proxy.http;

import dev.ferry.config.HttpOptions;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.ssl.SslHandler;

/**
 * Tells an HTTP/2 client from an HTTP/1 one on a connection's first bytes, on http frontends whose
 * {@code http.protocols} has {@code h2}: after TLS, by what ALPN settled ({@code h2} or {@code http/1.1}); without TLS,
 * or when the client used no ALPN, by the connection preface (RFC 9113 3.4: HTTP/2 by prior knowledge, h2c;
 * {@code Upgrade: h2c} is not offered). An HTTP/2 client gets the HTTP/2 codec ({@link Http2ProxyConnection}) in
 * place of the HTTP/1 one, which hands over the client's addresses (a PROXY header came before) and stops its
 * timers; an HTTP/1 client goes on as if this handler had never been there. A frontend that does not speak
 * {@code http/1.1} answers anything else 505 and closes.
 *
 * <p>It holds at most the 24 bytes of the preface, and only until they either match or stop matching; a byte that
 * cannot begin the preface ends the wait (an HTTP/1 method never starts {@code PRI *}).
 *
 * <p>Threading: the client channel's event loop; one per connection, gone after the first decision.
 */
final class Http2Detector extends ChannelInboundHandlerAdapter {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();
    private static final int PREFACE_LENGTH = PREFACE.readableBytes();

    private final HttpFrontend frontend;
    private final boolean http1;
    private final HttpOptions options;
    /** The first bytes, while they may still be the preface. */
    private ByteBuf held;

    /**
     * @param http1             whether the frontend also speaks HTTP/1.1
     * @param options           the frontend's {@code http:} options when the client connected (the h2 limits)
     */
    Http2Detector(HttpFrontend frontend, boolean http1, HttpOptions options) {
        this.frontend = frontend;
        this.http1 = http1;
        this.options = options;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            // A PROXY header, for the HTTP/1 connection that keeps the addresses until the decision.
            ctx.fireChannelRead(msg);
            return;
        }
        held = held == null ? bytes : ctx.alloc().compositeBuffer(2).addComponents(true, held, bytes);
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        String alpn = tls == null ? null : tls.applicationProtocol();
        if ("h2".equals(alpn)) {
            toHttp2(ctx);
        } else if (alpn != null) {
            toHttp1(ctx);
        } else {
            int n = Math.min(held.readableBytes(), PREFACE_LENGTH);
            boolean matches = held.slice(held.readerIndex(), n).equals(PREFACE.slice(0, n));
            if (!matches) {
                toHttp1(ctx);
            } else if (n == PREFACE_LENGTH) {
                toHttp2(ctx);
            }
        }
    }

    private void toHttp2(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        HttpProxyConnection h1 = p.get(HttpProxyConnection.class);
        h1.yieldToHttp2();
        Http2ProxyConnection.install(p, ctx.name(), frontend, h1.source(), h1.destination(), h1.clientAddress(),
                options, h1.openedAt());
        p.remove(RequestDecoder.class);
        p.remove(h1);
        ByteBuf bytes = held;
        held = null;
        p.remove(this);
        ctx.fireChannelRead(bytes);
    }

    private void toHttp1(ChannelHandlerContext ctx) {
        ByteBuf bytes = held;
        held = null;
        if (!http1) {
            bytes.release();
            ChannelPipeline p = ctx.pipeline();
            p.get(HttpProxyConnection.class).yieldToHttp2();
            ByteBuf reply = ErrorResponses.of(ctx.alloc(), HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "this frontend speaks only HTTP/2 (http.protocols)", true, null, false);
            frontend.stats().addBytesToClient(reply.readableBytes());
            ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(bytes);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (held != null) {
            held.release();
            held = null;
        }
    }
}
