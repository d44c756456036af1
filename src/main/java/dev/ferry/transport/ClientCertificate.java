package dev.ferry.transport;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The certificate a client presented and that verified against the frontend's {@code ca} (a handshake with one that
 * does not verify fails, so a session that has one has a verified one): its subject and issuer, RFC 2253.
 *
 * @param subject e.g. {@code CN=alice,O=Example}
 * @param issuer  the subject of the CA that signed it
 */
public record ClientCertificate(String subject, String issuer) {
    /**
     * The verified client certificate of {@code channel}'s finished TLS handshake, or null when the client sent none
     * (or the channel has no TLS).
     *
     * <p>Threading: the channel's event loop.
     */
    public static ClientCertificate of(Channel channel) {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls == null) {
            return null;
        }
        SSLSession session = tls.engine().getSession();
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                return new ClientCertificate(x.getSubjectX500Principal().getName(),
                        x.getIssuerX500Principal().getName());
            }
            return null;
        } catch (SSLPeerUnverifiedException none) {
            return null;
        }
    }
}
