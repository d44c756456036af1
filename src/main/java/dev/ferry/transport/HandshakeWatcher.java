package dev.ferry.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

/**
 * Sits right after a frontend's TLS handler and reports a failed handshake to {@link TlsHandshakeFailures}; after the
 * first handshake ends (either way) it removes itself, so it costs nothing on the connection's later bytes.
 *
 * <p>Threading: the channel's event loop.
 */
final class HandshakeWatcher extends ChannelInboundHandlerAdapter {
    private final TlsHandshakeFailures failures;

    HandshakeWatcher(TlsHandshakeFailures failures) {
        this.failures = failures;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                failures.record(done.cause(), dev.ferry.config.Addresses.format(ctx.channel().remoteAddress()));
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }
}
