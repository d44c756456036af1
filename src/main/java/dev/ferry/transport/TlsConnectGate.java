package dev.ferry.transport;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Sits right after the {@link SslHandler} of a connection to a server and keeps the handlers behind it from seeing the
 * connection until the TLS handshake succeeded (and, for {@code protocol: h2}, the server chose h2 by ALPN): they see
 * {@code channelActive} only then, so an HTTP/2 codec writes its preface over TLS and a relay or pool takes the
 * connection only once it can carry bytes. {@link #ready()} completes at that moment, or fails with an
 * {@link UpstreamTlsException} (counted and logged in {@link UpstreamTlsFailures}) after which the channel is closed
 * and the handlers behind never heard of it, exactly as for a connect that failed.
 *
 * <p>A close Ferry asks for before the connection is ready (the client left while connecting) fails {@link #ready()}
 * without counting anything against the server.
 *
 * <p>The handshake counts in the connect timeout: one deadline, {@code connect} from the moment the connect started,
 * covers both the TCP connect and the handshake. Removes itself once the connection is ready.
 *
 * <p>Threading: the channel's event loop.
 */
public final class TlsConnectGate extends ChannelDuplexHandler {
    private final ChannelPromise ready;
    private final String requiredProtocol;
    private final long timeoutMillis;
    private final String server;
    private final UpstreamTlsFailures failures;
    private ScheduledFuture<?> timer;
    private ChannelHandlerContext ctx;

    /**
     * @param ready            completed when the connection is ready, failed when it cannot be
     * @param requiredProtocol the ALPN protocol the server must choose ({@code h2}), or null for any
     * @param timeoutMillis    the backend's connect timeout, counted from now
     */
    TlsConnectGate(ChannelPromise ready, String requiredProtocol, long timeoutMillis, String server,
                   UpstreamTlsFailures failures) {
        this.ready = ready;
        this.requiredProtocol = requiredProtocol;
        this.timeoutMillis = timeoutMillis;
        this.server = server;
        this.failures = failures;
    }

    /** Completes when the TLS connection is up (and speaks the required protocol); fails with why not. */
    public ChannelPromise ready() {
        return ready;
    }

    /** A failed connect fails {@link #ready()} with the connect's own cause (which the connect's caller words). */
    public ChannelFuture follow(ChannelFuture connect) {
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                cancelTimer();
                ready.tryFailure(f.cause());
            }
        });
        return ready;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        timer = ctx.executor().schedule(() -> fail(new SslHandshakeTimeoutException("the TCP connect and TLS "
                + "handshake did not finish within the connect timeout (" + timeoutMillis + " ms)")),
                timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // Held back until the handshake is done. The SslHandler reads on by itself while it is not; this first read
        // starts it with AUTO_READ off.
        ctx.read();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof SslHandshakeCompletionEvent done)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        if (!done.isSuccess()) {
            fail(done.cause());
            return;
        }
        if (requiredProtocol != null) {
            String chosen = ctx.pipeline().get(SslHandler.class).applicationProtocol();
            if (!requiredProtocol.equals(chosen)) {
                fail(new UpstreamTlsException(UpstreamTlsFailures.Reason.NO_H2, "the server did not choose "
                        + requiredProtocol + " by ALPN (it chose " + (chosen == null ? "none" : chosen)
                        + "): protocol: h2 needs a server that speaks HTTP/2 over TLS", null));
                return;
            }
        }
        cancelTimer();
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
        ready.trySuccess();
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Before the handshake ended: the completion event follows with the same cause, or the close does.
        if (!ready.isDone()) {
            fail(cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The handlers behind never saw the connection come up: they must not see it go either.
        fail(new java.nio.channels.ClosedChannelException());
    }

    /**
     * Ferry gives the connect up (the client left, a check timed out, a stop): not the server's failure, so not
     * counted; the connect's caller hears of it as a closed channel.
     */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!ready.isDone()) {
            cancelTimer();
            ready.tryFailure(new java.nio.channels.ClosedChannelException());
        }
        ctx.close(promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        io.netty.util.ReferenceCountUtil.release(msg);
    }

    private void fail(Throwable cause) {
        cancelTimer();
        if (ready.isDone()) {
            return;
        }
        UpstreamTlsException failure = cause instanceof UpstreamTlsException u ? u : wrap(cause);
        // Counted before the connect's caller hears of it (and answers the client).
        SocketAddress remote = ctx.channel().remoteAddress();
        failures.record(server, remote == null ? "?" : dev.ferry.config.Addresses.format(remote), failure);
        ready.tryFailure(failure);
        ctx.close();
    }

    private static UpstreamTlsException wrap(Throwable cause) {
        UpstreamTlsFailures.Reason reason = UpstreamTlsFailures.classify(cause);
        String detail = cause instanceof java.nio.channels.ClosedChannelException
                ? "the server closed the connection" : UpstreamTlsFailures.detail(cause);
        return new UpstreamTlsException(reason, "TLS handshake with the server failed (" + reason.label() + "): "
                + detail, cause);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
