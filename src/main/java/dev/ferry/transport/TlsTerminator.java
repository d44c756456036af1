package dev.ferry.transport;

import dev.ferry.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
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
 * ALPN offers {@code http/1.1}.
 *
 * <p>Keys are PEM PKCS#8 ({@code BEGIN PRIVATE KEY}, as {@code openssl genpkey} writes them).
 *
 * <p>Threading: immutable after {@link #load}; {@link #newHandler} is called from every event loop.
 */
public final class TlsTerminator {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final Mapping<String, SslContext> byName;
    private final SslContext defaultContext;

    private TlsTerminator(Mapping<String, SslContext> byName, SslContext defaultContext) {
        this.byName = byName;
        this.defaultContext = defaultContext;
    }

    /**
     * Reads the certificates and keys (blocking file reads: call off the event loops).
     *
     * @param alpnHttp1 whether to offer {@code http/1.1} through ALPN (http frontends)
     * @param provider  the TLS implementation ({@link #defaultProvider()} unless measuring)
     * @throws IllegalArgumentException with a message naming the file and what is wrong with it
     */
    public static TlsTerminator load(TlsConfig config, boolean alpnHttp1, SslProvider provider) {
        SslContext first = null;
        List<SslContext> contexts = new ArrayList<>();
        List<Set<String>> names = new ArrayList<>();
        for (TlsConfig.Certificate c : config.certificates()) {
            SslContext ctx = context(c, alpnHttp1, provider);
            contexts.add(ctx);
            names.add(names(c.cert()));
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
        return new TlsTerminator(mapping.build(), first);
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

    private static SslContext context(TlsConfig.Certificate c, boolean alpnHttp1, SslProvider provider) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(c.cert().toFile(), c.key().toFile())
                    .sslProvider(provider)
                    .protocols(PROTOCOLS);
            if (alpnHttp1) {
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use certificate " + c.cert() + " with key " + c.key() + ": "
                    + rootMessage(e) + " (both must be PEM files; the key in PKCS#8 form, BEGIN PRIVATE KEY)", e);
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
    static Set<String> names(Path certFile) {
        try (InputStream in = Files.newInputStream(certFile)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
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
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("cannot read certificate " + certFile + ": " + rootMessage(e), e);
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
        return new SniHandler(byName);
    }

    /** The context used when the client names no known host. */
    public SslContext defaultContext() {
        return defaultContext;
    }
}
