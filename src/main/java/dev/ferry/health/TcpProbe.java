package dev.ferry.health;

import dev.ferry.transport.Transport;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** {@code type: tcp}: a completed three-way handshake is a pass; the connection is then reset. */
public final class TcpProbe implements HealthProbe {
    private static final ProbeResult CONNECTED = ProbeResult.pass("connected");

    private final Transport transport;

    public TcpProbe(Transport transport) {
        this.transport = transport;
    }

    @Override
    public void check(EventLoop loop, InetSocketAddress target, long timeoutNanos, Consumer<ProbeResult> done) {
        ProbeExchange.run(transport, loop, target, timeoutNanos, exchange -> new ChannelInboundHandlerAdapter(),
                CONNECTED, done);
    }
}
