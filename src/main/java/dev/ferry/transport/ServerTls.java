package dev.ferry.transport;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

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
}
