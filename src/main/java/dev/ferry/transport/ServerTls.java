package dev.ferry.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;

import java.util.function.Consumer;

/**
 * TLS for one new connection to one server: the {@link TlsOriginator} of its {@code tls:} and the peer host its
 * certificate must name ({@code sni}, else its DNS name, else its IP address).
 *
 * @param peerHost sent by SNI when it is a name; checked against the certificate; with {@code port} the session
 *                 cache's key
 * @param server   the server's name, for the failure counts and the log
 */
public record ServerTls(TlsOriginator originator, String peerHost, int port, String server,
                        UpstreamTlsFailures failures) {
    /** See {@link TlsOriginator#install}. */
    public TlsConnectGate install(Channel ch, TlsOriginator.Alpn alpn, long connectTimeoutMillis, EventLoop loop) {
        return originator.install(ch, alpn, peerHost, port, connectTimeoutMillis, loop, server, failures);
    }

    /**
     * A channel initializer for a connection whose only handler is {@code handler}: {@code plainFirst} runs first (a
     * PROXY header goes before the handshake), then TLS goes in front of {@code handler}; {@code gate} receives the
     * connection's {@link TlsConnectGate} before the connect starts.
     */
    public ChannelInitializer<Channel> initializer(ChannelHandler handler, Consumer<Channel> plainFirst,
                                                   TlsOriginator.Alpn alpn, long connectTimeoutMillis,
                                                   EventLoop loop, Consumer<TlsConnectGate> gate) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(handler);
                plainFirst.accept(ch);
                gate.accept(install(ch, alpn, connectTimeoutMillis, loop));
            }
        };
    }
}
