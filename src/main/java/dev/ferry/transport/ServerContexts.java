package dev.ferry.transport;

import dev.ferry.config.TlsConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * One generation of a frontend's TLS material, read from its files and made into server contexts: a context per
 * certificate (with its OCSP staple), the SNI mapping, the handshake policy, client certificate checking and session
 * resumption settings. A reload makes a new generation and {@link TlsTerminator} swaps it in whole; connections keep
 * the generation they started their handshake with.
 *
 * <p>Immutable after {@link #load}, except the ticket keys it hands to its contexts on rotation; any thread.
 */
final class ServerContexts {
    private final Mapping<String, SslContext> byName;
    private final SslContext first;
    private final List<SslContext> contexts;
    private final Map<SslContext, byte[]> staples;
    private final HandshakePolicy policy;
    private final boolean ticketsOff;
    private final boolean openSsl;
    private final TicketKeys tickets;
    private final boolean clientCertificates;
    private final String fingerprint;
    private final List<CertificateInfo> certificates;

    private ServerContexts(Mapping<String, SslContext> byName, SslContext first, List<SslContext> contexts,
                           Map<SslContext, byte[]> staples, HandshakePolicy policy, boolean ticketsOff,
                           boolean openSsl, TicketKeys tickets, boolean clientCertificates, String fingerprint,
                           List<CertificateInfo> certificates) {
        this.byName = byName;
        this.first = first;
        this.contexts = contexts;
        this.staples = staples;
        this.policy = policy;
        this.ticketsOff = ticketsOff;
        this.openSsl = openSsl;
        this.tickets = tickets;
        this.clientCertificates = clientCertificates;
        this.fingerprint = fingerprint;
        this.certificates = certificates;
    }

    /**
     * Reads every file of {@code config} and builds the contexts (blocking: off the event loops).
     *
     * @param tickets the ticket keys to give the contexts (null when session tickets are off or the provider manages
     *                its own)
     * @param now     what "expired" is measured against
     * @throws TlsFileException at the key that is wrong
     */
    static ServerContexts load(TlsConfig config, List<String> alpn, SslProvider provider, TicketKeys tickets,
                               Instant now) {
        boolean openSsl = provider != SslProvider.JDK;
        HandshakePolicy policy = HandshakePolicy.of(config, provider);
        requireOpenSsl(config, openSsl);
        MessageDigest digest = sha256();
        digest.update(config.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<X509Certificate> cas = List.of();
        if (config.clientAuth() != TlsConfig.ClientAuth.NONE && config.ca().isPresent()) {
            cas = CertificateFiles.cas(config.ca().get(), now);
            cas.forEach(c -> update(digest, c));
        }
        List<SslContext> contexts = new ArrayList<>();
        List<Set<String>> names = new ArrayList<>();
        Map<SslContext, byte[]> staples = new IdentityHashMap<>();
        List<CertificateInfo> infos = new ArrayList<>();
        List<TlsConfig.Certificate> certificates = config.certificates();
        for (int i = 0; i < certificates.size(); i++) {
            TlsConfig.Certificate c = certificates.get(i);
            int index = i;
            List<X509Certificate> chain = CertificateFiles.chain(i, c.cert());
            CertificateFiles.requireValid(i, c.cert(), chain, now);
            chain.forEach(x -> update(digest, x));
            PrivateKey key = PrivateKeys.read(i, c.key(), c.keyPasswordFile());
            if (!KeyPairCheck.matches(key, chain.get(0).getPublicKey())) {
                throw new TlsFileException(i, "key", "the key " + c.key() + " does not belong to the certificate "
                        + c.cert() + " (their public keys differ): every handshake would fail; give each certificate"
                        + " its own key (compare: openssl x509 -noout -pubkey -in " + c.cert()
                        + " and openssl pkey -pubout -in " + c.key() + ")");
            }
            digest.update(key.getEncoded() == null ? new byte[0] : key.getEncoded());
            byte[] staple = c.ocsp().map(f -> OcspStaple.read(index, f, chain.get(0), now))
                    .orElse(null);
            if (staple != null) {
                digest.update(staple);
            }
            SslContext ctx = context(i, c, chain, key, alpn, provider, policy, config, cas, staple != null);
            if (openSsl) {
                OpenSslSessionContext session = ((OpenSslContext) ctx).sessionContext();
                session.setSessionCacheEnabled(config.sessionCache());
                if (tickets != null) {
                    session.setTicketKeys(tickets.keys());
                }
            }
            contexts.add(ctx);
            names.add(TlsTerminator.names(chain.get(0)));
            infos.add(CertificateInfo.of(i, c.cert().toString(), chain.get(0), staple != null));
            if (staple != null) {
                staples.put(ctx, staple);
            }
        }
        if (contexts.isEmpty()) {
            throw new IllegalArgumentException("tls needs at least one certificate");
        }
        if (tickets != null && !tickets.rotates()) {
            for (var k : tickets.keys()) {
                digest.update(k.name());
                digest.update(k.hmacKey());
                digest.update(k.aesKey());
            }
        }
        DomainWildcardMappingBuilder<SslContext> mapping = new DomainWildcardMappingBuilder<>(contexts.get(0));
        // Added last to first, so where two certificates claim a name the earlier one in the list wins.
        for (int i = contexts.size() - 1; i >= 0; i--) {
            for (String name : names.get(i)) {
                mapping.add(name, contexts.get(i));
            }
        }
        return new ServerContexts(mapping.build(), contexts.get(0), List.copyOf(contexts), staples, policy,
                !config.tickets().enabled(), openSsl, tickets, config.clientAuth() != TlsConfig.ClientAuth.NONE,
                HexFormat.of().formatHex(digest.digest()), List.copyOf(infos));
    }

    /** The certificates served, in the order of {@code tls.certificates}. */
    List<CertificateInfo> certificates() {
        return certificates;
    }

    private static void requireOpenSsl(TlsConfig config, boolean openSsl) {
        if (openSsl) {
            return;
        }
        String why = " needs BoringSSL (netty-tcnative), and this process runs on the JDK's TLS";
        for (int i = 0; i < config.certificates().size(); i++) {
            if (config.certificates().get(i).ocsp().isPresent()) {
                throw new TlsFileException(i, "ocsp", "OCSP stapling from a file" + why);
            }
        }
        if (config.tickets().keysFile().isPresent()) {
            throw new TlsFileException(-1, "ticket_keys", "ticket_keys" + why);
        }
        if (!config.tickets().enabled()) {
            throw new TlsFileException(-1, "session_tickets", "session_tickets: false" + why);
        }
        if (!config.sessionCache()) {
            throw new TlsFileException(-1, "session_cache", "session_cache: false" + why);
        }
    }

    private static SslContext context(int index, TlsConfig.Certificate c, List<X509Certificate> chain,
                                      PrivateKey key, List<String> alpn, SslProvider provider, HandshakePolicy policy,
                                      TlsConfig config, List<X509Certificate> cas, boolean ocsp) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                    .sslProvider(provider);
            policy.applyTo(b);
            if (!alpn.isEmpty()) {
                // A client offering none of them goes on without ALPN (NO_ADVERTISE), as one without ALPN does.
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
            }
            if (config.clientAuth() != TlsConfig.ClientAuth.NONE) {
                b.clientAuth(config.clientAuth() == TlsConfig.ClientAuth.REQUIRED ? ClientAuth.REQUIRE
                        : ClientAuth.OPTIONAL).trustManager(cas);
            }
            if (ocsp) {
                b.enableOcsp(true);
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException | UnsupportedOperationException e) {
            String m = TlsTerminator.rootMessage(e);
            if (!config.groups().isEmpty() && m.contains("groups")) {
                throw new TlsFileException(-1, "groups", "the TLS provider refuses the groups " + config.groups()
                        + ": " + m);
            }
            throw new TlsFileException(index, "cert", "cannot use certificate " + c.cert() + " with key " + c.key()
                    + ": " + m);
        }
    }

    /** A new connection's TLS handler for {@code context}, with its staple and the per-connection settings. */
    void prepare(SslContext context, SSLEngine engine) {
        if (engine instanceof ReferenceCountedOpenSslEngine e) {
            byte[] staple = staples.get(context);
            if (staple != null) {
                e.setOcspResponse(staple);
            }
            if (ticketsOff) {
                SSL.setOptions(e.sslPointer(), SSL.SSL_OP_NO_TICKET);
            } else {
                SSL.clearOptions(e.sslPointer(), SSL.SSL_OP_NO_TICKET);
            }
        }
        policy.applyTo(engine);
    }

    /** On a new connection: rotates Ferry's own ticket keys when due and gives the new ones to every context. */
    void rotateTicketKeys() {
        if (tickets != null && tickets.rotates() && tickets.rotateIfDue()) {
            giveTicketKeys();
        }
    }

    /** Gives the ticket keys (as they are now) to every context. */
    void giveTicketKeys() {
        if (tickets != null && openSsl) {
            var keys = tickets.keys();
            for (SslContext c : contexts) {
                ((OpenSslContext) c).sessionContext().setTicketKeys(keys);
            }
        }
    }

    Mapping<String, SslContext> byName() {
        return byName;
    }

    SslContext first() {
        return first;
    }

    TicketKeys tickets() {
        return tickets;
    }

    /** Whether clients are asked for a certificate. */
    boolean clientCertificates() {
        return clientCertificates;
    }

    /** A digest of everything read (files and settings): equal fingerprints, same material. */
    String fingerprint() {
        return fingerprint;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest digest, X509Certificate c) {
        try {
            digest.update(c.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
