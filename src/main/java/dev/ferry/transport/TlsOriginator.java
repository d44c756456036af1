package dev.ferry.transport;

import dev.ferry.config.TlsConfig;
import dev.ferry.config.UpstreamTlsConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * TLS from Ferry to servers for one {@code tls:} setting ({@link UpstreamTlsConfig}): Netty client contexts
 * ({@link SslContextBuilder#forClient()}, the provider {@link TlsTerminator#defaultProvider()} picks), one per ALPN
 * offer ({@link Alpn}), each with its own session cache, so a new connection to a server it spoke to before resumes
 * the session (the cache is keyed by the peer's host and port, which every engine is created with).
 *
 * <p>With {@code verify} (the default) the server's chain must lead to a certificate of {@code ca} (default: the JDK's
 * trust store) and its certificate must name the peer host: {@code sni}, else the server's host name, else its IP
 * address (matched against the certificate's IP address names, RFC 6125). Ferry's own certificate
 * ({@code client_cert}) is offered to servers that ask for one. TLS 1.2 and 1.3, or 1.3 only ({@code min_version}).
 *
 * <p>Threading: immutable after {@link #load} (which reads files: call off the event loops); {@link #install} runs
 * on the channel's event loop or before the channel is registered.
 */
public final class TlsOriginator {
    /** What a connection offers by ALPN: nothing (tcp frontends), {@code http/1.1}, or {@code h2} (required). */
    public enum Alpn {
        NONE(List.of()),
        HTTP_1_1(List.of("http/1.1")),
        H2(List.of("h2"));

        private final List<String> protocols;

        Alpn(List<String> protocols) {
            this.protocols = protocols;
        }
    }

    private final Map<Alpn, SslContext> contexts;
    private final UpstreamTlsConfig config;

    private TlsOriginator(Map<Alpn, SslContext> contexts, UpstreamTlsConfig config) {
        this.contexts = contexts;
        this.config = config;
    }

    /**
     * Reads {@code ca} and {@code client_cert} (blocking) and builds the contexts.
     *
     * @throws TlsFileException naming the file and what to do; its {@link TlsFileException#key()} is the key of
     *                          {@code tls:} that is wrong: {@code ca}, {@code client_cert.cert}, {@code client_cert.key}
     *                          or {@code client_cert.key_password_file}
     */
    public static TlsOriginator load(UpstreamTlsConfig config, SslProvider provider) {
        X509Certificate[] trusted = config.verifies() ? config.ca().map(TlsOriginator::authorities).orElse(null)
                : null;
        PrivateKey key = null;
        List<X509Certificate> chain = null;
        if (config.clientCert().isPresent()) {
            TlsConfig.Certificate c = config.clientCert().get();
            try {
                chain = CertificateFiles.chain(0, c.cert());
                key = PrivateKeys.read(0, c.key(), c.keyPasswordFile());
            } catch (TlsFileException e) {
                throw new TlsFileException(0, "client_cert." + e.key(), e.getMessage());
            }
            if (!KeyPairCheck.matches(key, chain.get(0).getPublicKey())) {
                throw new TlsFileException(0, "client_cert.key", "the key " + c.key() + " does not belong to the "
                        + "certificate " + c.cert() + " (their public keys differ): servers would refuse every "
                        + "handshake; compare: openssl x509 -noout -pubkey -in " + c.cert()
                        + " and openssl pkey -pubout -in " + c.key());
            }
        }
        Map<Alpn, SslContext> contexts = new EnumMap<>(Alpn.class);
        for (Alpn alpn : Alpn.values()) {
            contexts.put(alpn, context(config, provider, trusted, key, chain, alpn));
        }
        return new TlsOriginator(contexts, config);
    }

    private static SslContext context(UpstreamTlsConfig config, SslProvider provider, X509Certificate[] trusted,
                                      PrivateKey key, List<X509Certificate> chain, Alpn alpn) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(provider)
                    .protocols(config.versions().reversed().toArray(String[]::new));
            if (config.verifies()) {
                // Netty 4.2 checks the peer's name (HTTPS endpoint identification) by default; said here on purpose.
                b.trustManager(trusted).endpointIdentificationAlgorithm("HTTPS");
            } else {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            }
            if (key != null) {
                b.keyManager(key, chain.toArray(X509Certificate[]::new));
            }
            if (!alpn.protocols.isEmpty()) {
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn.protocols));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            String what = config.clientCert().map(c -> "client_cert.cert").orElse("ca");
            throw new TlsFileException(0, what, "cannot set up TLS to the servers with these files: "
                    + UpstreamTlsFailures.detail(e));
        }
    }

    /** The certificates of a PEM bundle of certificate authorities ({@code ca}). */
    private static X509Certificate[] authorities(Path file) {
        String text;
        try {
            text = PrivateKeys.readText(0, "ca", file, "certificate authority");
        } catch (TlsFileException e) {
            throw new TlsFileException(0, "ca", e.getMessage());
        }
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new TlsFileException(0, "ca", file + " holds no PEM certificate (no -----BEGIN CERTIFICATE----- "
                    + "line); ca: wants the PEM certificates of the authorities that sign the servers' certificates");
        }
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> all = new ArrayList<>();
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                all.add((X509Certificate) c);
            }
            if (all.isEmpty()) {
                throw new CertificateException("no certificate");
            }
            return all.toArray(X509Certificate[]::new);
        } catch (IOException | CertificateException e) {
            throw new TlsFileException(0, "ca", file + " is not a usable PEM certificate bundle ("
                    + UpstreamTlsFailures.detail(e) + "); check it with: openssl crl2pkcs7 -nocrl -certfile " + file
                    + " | openssl pkcs7 -print_certs -noout");
        }
    }

    /** The {@code tls:} setting this originator was built from (the server's over its backend's). */
    public UpstreamTlsConfig config() {
        return config;
    }

    /**
     * Puts TLS at the front of {@code ch}'s pipeline: the {@link SslHandler} for {@code peerHost} and {@code port}
     * (SNI, name check and session cache key), then a {@link TlsConnectGate} that holds the handlers behind until the
     * handshake is done. Call before the connect starts (in the channel initializer), after anything that must go
     * before the handshake in plain text (a PROXY header).
     *
     * @param loop where {@link TlsConnectGate#ready()} completes (the connecting loop)
     */
    public TlsConnectGate install(Channel ch, Alpn alpn, String peerHost, int port, long connectTimeoutMillis,
                                  EventLoop loop, String server, UpstreamTlsFailures failures) {
        SslHandler ssl = contexts.get(alpn).newHandler(ch.alloc(), peerHost, port);
        // The gate's deadline bounds the handshake, together with the TCP connect.
        ssl.setHandshakeTimeoutMillis(0);
        ChannelPromise ready = new DefaultChannelPromise(ch, loop);
        TlsConnectGate gate = new TlsConnectGate(ready, alpn == Alpn.H2 ? "h2" : null, connectTimeoutMillis, server,
                failures);
        ch.pipeline().addFirst("tls-gate", gate);
        ch.pipeline().addFirst("tls", ssl);
        return gate;
    }
}
