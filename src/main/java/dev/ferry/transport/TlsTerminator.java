package dev.ferry.transport;

import dev.ferry.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.LongSupplier;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * TLS termination for a frontend's {@code tls:}: one server context per PEM certificate/key pair, chosen per
 * connection by the name the client asks for (SNI). The names of a certificate are its DNS subject alternative
 * names (or, without any, its subject CN); wildcard names ({@code *.example.com}) match one label. A client that
 * sends no name, or a name no certificate has, gets the first certificate. TLS 1.3 and 1.2 ({@code min_version}),
 * the suites and groups of {@link HandshakePolicy}; for http frontends ALPN offers the frontend's
 * {@code http.protocols} in their order ({@code h2, http/1.1} by default). Optionally: OCSP staples
 * ({@link OcspStaple}), client certificates checked against {@code ca} ({@code client_auth}), session tickets with
 * keys from a file or rotated by Ferry ({@link TicketKeys}).
 *
 * <p>Keys are read by {@link PrivateKeys} (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8); a key that does not belong to its
 * certificate, an expired certificate or CA, a bad OCSP file is refused at load, naming the files, as HAProxy and
 * nginx refuse them. Failed handshakes are counted and logged through {@link TlsHandshakeFailures}.
 *
 * <p>A reload reads the files again ({@link #load}) and {@link #takeOver}s the new material: new handshakes get the new
 * certificates, connections already under way keep theirs; the listener is not touched.
 *
 * <p>Threading: {@link #load} blocks (files); {@link #newHandler} is called from every event loop and reads the current
 * material with one volatile read; {@link #takeOver} from the reloading thread.
 */
public final class TlsTerminator {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private volatile ServerContexts contexts;
    private final TlsHandshakeFailures failures;

    private TlsTerminator(ServerContexts contexts, TlsHandshakeFailures failures) {
        this.contexts = contexts;
        this.failures = failures;
    }

    /**
     * Reads the certificates and keys (blocking file reads: call off the event loops), with session ticket keys of
     * its own.
     *
     * @param alpn      the protocols ALPN offers, in order of preference (http frontends); empty for none
     * @param provider  the TLS implementation ({@link #defaultProvider()} unless measuring)
     * @param failures  where failed handshakes are counted and logged
     * @throws TlsFileException naming the file (both files for a key that does not match) and what to do
     */
    public static TlsTerminator load(TlsConfig config, List<String> alpn, SslProvider provider,
                                     TlsHandshakeFailures failures) {
        return load(config, alpn, provider, failures, null);
    }

    /**
     * As {@link #load(TlsConfig, List, SslProvider, TlsHandshakeFailures)}, for a reload of a running frontend.
     *
     * @param running the frontend's terminator now (null for a new one): Ferry's own ticket keys carry on from it,
     *                so clients resume across the reload
     */
    public static TlsTerminator load(TlsConfig config, List<String> alpn, SslProvider provider,
                                     TlsHandshakeFailures failures, TlsTerminator running) {
        return load(config, alpn, provider, failures, running, System::nanoTime);
    }

    /**
     * As {@link #load(TlsConfig, List, SslProvider, TlsHandshakeFailures, TlsTerminator)}, with the clock of the
     * ticket key rotation ({@code System::nanoTime} in production; tests walk it).
     */
    public static TlsTerminator load(TlsConfig config, List<String> alpn, SslProvider provider,
                                     TlsHandshakeFailures failures, TlsTerminator running, LongSupplier nanoTime) {
        TicketKeys tickets = null;
        if (provider != SslProvider.JDK && config.tickets().enabled()) {
            TlsConfig.Tickets t = config.tickets();
            TicketKeys before = running == null ? null : running.contexts.tickets();
            if (t.keysFile().isPresent()) {
                tickets = TicketKeys.fixed(TicketKeys.read(t.keysFile().get()));
            } else if (before != null && before.rotates()) {
                tickets = TicketKeys.continuing(before, t.rotation(), nanoTime, new SecureRandom());
            } else {
                tickets = TicketKeys.rotating(t.rotation(), nanoTime, new SecureRandom());
            }
        }
        return new TlsTerminator(ServerContexts.load(config, alpn, provider, tickets, Instant.now()), failures);
    }

    /**
     * Swaps in the material {@code fresh} read (a reload): handshakes that start from now on use it, live connections
     * carry on with what they have.
     *
     * @return whether anything read differs (certificates, keys, staples, CAs, ticket keys or settings)
     */
    public boolean takeOver(TlsTerminator fresh) {
        ServerContexts before = contexts;
        contexts = fresh.contexts;
        return !before.fingerprint().equals(fresh.contexts.fingerprint());
    }

    /** The certificates new handshakes are served, in the order of {@code tls.certificates}. Any thread. */
    public List<CertificateInfo> certificates() {
        return contexts.certificates();
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

    static String rootMessage(Throwable e) {
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

    /** Whether clients are asked for a certificate ({@code client_auth} optional or required). */
    public boolean asksClientCertificates() {
        return contexts.clientCertificates();
    }

    /**
     * Takes the place the frontend gave the TLS handler and puts the SNI handler there, followed by a
     * {@link HandshakeWatcher} that reports a failed handshake. The connection keeps the material current now.
     */
    private final class Installer extends ChannelHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ServerContexts now = contexts;
            now.rotateTicketKeys();
            ctx.pipeline().addAfter(ctx.name(), null, new HandshakeWatcher(failures));
            ctx.pipeline().replace(this, ctx.name(), new Sni(now));
        }
    }

    /** SNI with the chosen context's staple and per-connection settings put on the new engine. */
    private static final class Sni extends SniHandler {
        private final ServerContexts material;

        Sni(ServerContexts material) {
            super(material.byName());
            this.material = material;
        }

        @Override
        protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
            SslHandler h = super.newSslHandler(context, allocator);
            material.prepare(context, h.engine());
            return h;
        }
    }

    /** The context used when the client names no known host. */
    public SslContext defaultContext() {
        return contexts.first();
    }
}
