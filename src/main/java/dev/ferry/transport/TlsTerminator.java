package dev.ferry.transport;

import dev.ferry.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLException;

/**
 * TLS termination for a frontend's {@code tls:}: one server context per PEM certificate/key pair, chosen per
 * connection by the name the client asks for (SNI). The names of a certificate are its DNS subject alternative
 * names (or, without any, its subject CN); wildcard names ({@code *.example.com}) match one label. A client that
 * sends no name, or a name no certificate has, gets the first certificate. TLS 1.3 and 1.2 only; for http frontends
 * ALPN offers the frontend's {@code http.protocols} in their order ({@code h2, http/1.1} by default).
 *
 * <p>Keys are read by {@link PrivateKeys} (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8); a key that does not belong to its
 * certificate is refused at load, naming both files, as HAProxy and nginx refuse it. Failed handshakes are counted
 * and logged through {@link TlsHandshakeFailures}.
 *
 * <p>Threading: immutable after {@link #load}; {@link #newHandler} is called from every event loop.
 */
public final class TlsTerminator {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final Mapping<String, SslContext> byName;
    private final SslContext defaultContext;
    private final TlsHandshakeFailures failures;

    private TlsTerminator(Mapping<String, SslContext> byName, SslContext defaultContext,
                          TlsHandshakeFailures failures) {
        this.byName = byName;
        this.defaultContext = defaultContext;
        this.failures = failures;
    }

    /**
     * Reads the certificates and keys (blocking file reads: call off the event loops).
     *
     * @param alpn      the protocols ALPN offers, in order of preference (http frontends); empty for none
     * @param provider  the TLS implementation ({@link #defaultProvider()} unless measuring)
     * @param failures  where failed handshakes are counted and logged
     * @throws TlsFileException naming the file (both files for a key that does not match) and what to do
     */
    public static TlsTerminator load(TlsConfig config, List<String> alpn, SslProvider provider,
                                     TlsHandshakeFailures failures) {
        SslContext first = null;
        List<SslContext> contexts = new ArrayList<>();
        List<Set<String>> names = new ArrayList<>();
        List<TlsConfig.Certificate> certificates = config.certificates();
        for (int i = 0; i < certificates.size(); i++) {
            TlsConfig.Certificate c = certificates.get(i);
            List<X509Certificate> chain = chain(i, c.cert());
            PrivateKey key = PrivateKeys.read(i, c.key(), c.keyPasswordFile());
            if (!KeyPairCheck.matches(key, chain.get(0).getPublicKey())) {
                throw new TlsFileException(i, "key", "the key " + c.key() + " does not belong to the certificate "
                        + c.cert() + " (their public keys differ): every handshake would fail; give each certificate"
                        + " its own key (compare: openssl x509 -noout -pubkey -in " + c.cert()
                        + " and openssl pkey -pubout -in " + c.key() + ")");
            }
            SslContext ctx = context(i, c, chain, key, alpn, provider);
            contexts.add(ctx);
            names.add(names(chain.get(0)));
            if (first == null) {
                first = ctx;
            }
        }
        if (first == null) {
            throw new IllegalArgumentException("tls needs at least one certificate");
        }
        DomainWildcardMappingBuilder<SslContext> mapping = new DomainWildcardMappingBuilder<>(first);
        // Added last to first, so where two certificates claim a name the earlier one in the list wins.
        for (int i = contexts.size() - 1; i >= 0; i--) {
            for (String name : names.get(i)) {
                mapping.add(name, contexts.get(i));
            }
        }
        return new TlsTerminator(mapping.build(), first, failures);
    }

    /**
     * The provider Ferry uses: BoringSSL through netty-tcnative when its native library loads (Linux x86-64 and
     * aarch64 builds ship it), the JDK's otherwise. The system property {@code ferry.tls.provider} ({@code jdk} or
     * {@code openssl}) overrides the choice, for measuring one against the other.
     */
    public static SslProvider defaultProvider() {
        String forced = System.getProperty("ferry.tls.provider", "");
        if (forced.equalsIgnoreCase("jdk")) {
            return SslProvider.JDK;
        }
        return SslProvider.isAlpnSupported(SslProvider.OPENSSL) ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    private static SslContext context(int index, TlsConfig.Certificate c, List<X509Certificate> chain,
                                      PrivateKey key, List<String> alpn, SslProvider provider) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                    .sslProvider(provider)
                    .protocols(PROTOCOLS);
            if (!alpn.isEmpty()) {
                // A client offering none of them goes on without ALPN (NO_ADVERTISE), as one without ALPN does.
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsFileException(index, "cert", "cannot use certificate " + c.cert() + " with key " + c.key()
                    + ": " + rootMessage(e));
        }
    }

    /** The certificates of a PEM file, the server's own first. */
    static List<X509Certificate> chain(int index, Path certFile) {
        String text = PrivateKeys.readText(index, "cert", certFile, "certificate");
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new TlsFileException(index, "cert", certFile + " holds no PEM certificate (no -----BEGIN "
                    + "CERTIFICATE----- line)" + (text.contains("PRIVATE KEY-----") ? "; it holds a private key: are "
                    + "cert and key swapped?" : "; for a DER (binary) certificate write PEM with: openssl x509 "
                    + "-inform DER -in " + certFile + " -out " + certFile + ".pem"));
        }
        try (InputStream in = Files.newInputStream(certFile)) {
            List<X509Certificate> chain = new ArrayList<>();
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) c);
            }
            if (chain.isEmpty()) {
                throw new CertificateException("no certificate");
            }
            return chain;
        } catch (IOException | CertificateException e) {
            throw new TlsFileException(index, "cert", certFile + " is not a usable PEM certificate (" + rootMessage(e)
                    + "); check it with: openssl x509 -noout -text -in " + certFile);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** The DNS names a certificate speaks for: its subject alternative names, else its subject CN. */
    static Set<String> names(X509Certificate cert) {
        try {
            Set<String> names = new LinkedHashSet<>();
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
            if (names.isEmpty()) {
                commonName(cert).ifPresent(cn -> names.add(cn.toLowerCase(Locale.ROOT)));
            }
            return names;
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("cannot read the names of certificate " + cert.getSubjectX500Principal()
                    + ": " + rootMessage(e), e);
        }
    }

    private static java.util.Optional<String> commonName(X509Certificate cert) throws CertificateParsingException {
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return java.util.Optional.of(rdn.getValue().toString());
                }
            }
            return java.util.Optional.empty();
        } catch (InvalidNameException e) {
            throw new CertificateParsingException(e);
        }
    }

    /** A handler that reads the client's SNI name and continues with the matching certificate's TLS handler. */
    public ChannelHandler newHandler(ByteBufAllocator alloc) {
        return new Installer();
    }

    /** The failed handshakes of this frontend, by reason. */
    public TlsHandshakeFailures failures() {
        return failures;
    }

    /**
     * Takes the place the frontend gave the TLS handler and puts the SNI handler there, followed by a
     * {@link HandshakeWatcher} that reports a failed handshake.
     */
    private final class Installer extends ChannelHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().addAfter(ctx.name(), null, new HandshakeWatcher(failures));
            ctx.pipeline().replace(this, ctx.name(), new SniHandler(byName));
        }
    }

    /** The context used when the client names no known host. */
    public SslContext defaultContext() {
        return defaultContext;
    }
}
