package dev.ferry.health;

import dev.ferry.transport.ServerTls;
import dev.ferry.transport.TlsOriginator;
import dev.ferry.transport.Transport;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** {@code type: tcp}: a completed three-way handshake is a pass; the connection is then reset. */
public final class TcpProbe implements HealthProbe {
    private static final ProbeResult CONNECTED = ProbeResult.pass("connected");
    private static final ProbeResult TLS_CONNECTED = ProbeResult.pass("connected, TLS handshake done");

    private final Transport transport;

    public TcpProbe(Transport transport) {
        this.transport = transport;
    }

    @Override
    public void check(EventLoop loop, InetSocketAddress target, long timeoutNanos, Consumer<ProbeResult> done) {
        check(loop, target, null, timeoutNanos, done);
    }

    /** Over TLS: a completed TLS handshake is the pass. */
    @Override
    public void check(EventLoop loop, InetSocketAddress target, ServerTls tls, long timeoutNanos,
                      Consumer<ProbeResult> done) {
        ProbeExchange.run(transport, loop, target, tls, TlsOriginator.Alpn.NONE, timeoutNanos,
                exchange -> new ChannelInboundHandlerAdapter(), tls == null ? CONNECTED : TLS_CONNECTED, done);
    }
}
