package dev.ferry.health;

import dev.ferry.transport.Reasons;
import dev.ferry.transport.ServerTls;
import dev.ferry.transport.TlsConnectGate;
import dev.ferry.transport.TlsOriginator;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One probe connection: connects, hands the channel to the probe's handler, bounds the whole exchange by the
 * timeout, and reports exactly one result, closing the channel after it.
 *
 * <p>Threading: {@link #run} hops onto the given event loop; everything else runs there.
 */
final class ProbeExchange {
    private final Consumer<ProbeResult> done;
    private Channel channel;
    private ScheduledFuture<?> timer;
    private boolean finished;

    private ProbeExchange(Consumer<ProbeResult> done) {
        this.done = done;
    }

    /**
     * Connects to {@code target}.
     *
     * @param handler        builds the handler that drives the exchange once connected; it calls {@link #finish}
     * @param onConnected    what a bare connection means (tcp: pass); null when the handler decides
     */
    static void run(Transport transport, EventLoop loop, InetSocketAddress target, long timeoutNanos,
                    Function<ProbeExchange, ChannelHandler> handler, ProbeResult onConnected,
                    Consumer<ProbeResult> done) {
        run(transport, loop, target, null, TlsOriginator.Alpn.NONE, timeoutNanos, handler, onConnected, done);
    }

    /**
     * As {@link #run(Transport, EventLoop, InetSocketAddress, long, Function, ProbeResult, Consumer)}, over TLS when
     * {@code tls} is not null: the probe's handler sees the connection only once the handshake is done (offering
     * {@code alpn}), and a failed handshake fails the check with why.
     */
    static void run(Transport transport, EventLoop loop, InetSocketAddress target, ServerTls tls,
                    TlsOriginator.Alpn alpn, long timeoutNanos, Function<ProbeExchange, ChannelHandler> handler,
                    ProbeResult onConnected, Consumer<ProbeResult> done) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> run(transport, loop, target, tls, alpn, timeoutNanos, handler, onConnected, done));
            return;
        }
        ProbeExchange exchange = new ProbeExchange(done);
        int connectMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
        TlsConnectGate[] gate = new TlsConnectGate[1];
        ChannelHandler h = handler.apply(exchange);
        if (tls != null) {
            h = tls.initializer(h, ch -> {
            }, alpn, connectMillis, loop, g -> gate[0] = g);
        }
        ChannelFuture connecting = new Bootstrap().group(loop).channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis)
                .option(ChannelOption.SO_LINGER, 0)
                .handler(h)
                .connect(target);
        ChannelFuture connect = gate[0] == null ? connecting : gate[0].follow(connecting);
        exchange.channel = connect.channel();
        exchange.timer = loop.schedule(() -> exchange.finish(ProbeResult.fail("timed out after "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms")), timeoutNanos, TimeUnit.NANOSECONDS);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                exchange.finish(ProbeResult.fail(Reasons.of(f.cause())));
            } else if (onConnected != null) {
                exchange.finish(onConnected);
            }
        });
    }

    /** Reports {@code result} (only the first call counts) and closes the connection. */
    void finish(ProbeResult result) {
        if (finished) {
            return;
        }
        finished = true;
        if (timer != null) {
            timer.cancel(false);
        }
        // SO_LINGER 0: a check ends with a reset, so probed servers keep no TIME_WAIT sockets (HAProxy does the same).
        channel.close();
        done.accept(result);
    }

    boolean isFinished() {
        return finished;
    }
}
