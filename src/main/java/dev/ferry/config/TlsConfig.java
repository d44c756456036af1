package dev.ferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code tls:} of a frontend: PEM certificate/key pairs (SNI picks among them, the first is the default) and the
 * policy every handshake of the frontend follows.
 *
 * @param certificates      the certificates, in file order
 * @param minVersion        the oldest TLS version taken ({@code min_version}); 1.3 is always taken
 * @param ciphers           TLS 1.2 cipher suites in order of preference, OpenSSL or IANA names as written
 *                          ({@code ciphers}); empty for the provider's defaults
 * @param ciphersuites      TLS 1.3 cipher suites, IANA names ({@code ciphersuites}); empty for the defaults
 * @param groups            key exchange groups in order of preference ({@code groups}); empty for the defaults
 * @param tickets           session tickets and their keys
 * @param sessionCache      whether the server keeps a session cache for id-based resumption ({@code session_cache})
 * @param clientAuth        whether clients are asked for a certificate ({@code client_auth})
 * @param ca                the CA certificates a client certificate must chain to ({@code ca}); with client_auth
 * @param clientCertHeaders http frontends: the request headers that carry the client certificate to servers
 */
public record TlsConfig(List<Certificate> certificates, Version minVersion, List<String> ciphers,
                        List<String> ciphersuites, List<String> groups, Tickets tickets, boolean sessionCache,
                        ClientAuth clientAuth, Optional<Path> ca, ClientCertHeaders clientCertHeaders) {
    public TlsConfig {
        certificates = List.copyOf(certificates);
        ciphers = List.copyOf(ciphers);
        ciphersuites = List.copyOf(ciphersuites);
        groups = List.copyOf(groups);
    }

    /** Certificates with the default policy (TLS 1.2 and 1.3, default suites, tickets rotated, no client certs). */
    public TlsConfig(List<Certificate> certificates) {
        this(certificates, Version.TLS_1_2, List.of(), List.of(), List.of(), Tickets.DEFAULTS, true, ClientAuth.NONE,
                Optional.empty(), ClientCertHeaders.DEFAULTS);
    }

    /**
     * One certificate (chain) and its private key.
     *
     * @param cert            PEM certificate file, the server's certificate first, then intermediates
     * @param key             PEM private key: PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE
     *                        KEY}), SEC1 ({@code BEGIN EC PRIVATE KEY}) or encrypted PKCS#8 ({@code BEGIN ENCRYPTED
     *                        PRIVATE KEY}, with {@code keyPasswordFile})
     * @param keyPasswordFile the file whose first line is the passphrase of an encrypted key (key
     *                        {@code key_password_file})
     * @param ocsp            a DER OCSP response for the certificate, stapled to every handshake (key {@code ocsp})
     */
    public record Certificate(Path cert, Path key, Optional<Path> keyPasswordFile, Optional<Path> ocsp) {
        public Certificate(Path cert, Path key) {
            this(cert, key, Optional.empty(), Optional.empty());
        }

        public Certificate(Path cert, Path key, Optional<Path> keyPasswordFile) {
            this(cert, key, keyPasswordFile, Optional.empty());
        }
    }

    /** A TLS version as the file and the TLS libraries write it. */
    public enum Version {
        TLS_1_2("TLSv1.2"), TLS_1_3("TLSv1.3");

        private final String key;

        Version(String key) {
            this.key = key;
        }

        /** {@code TLSv1.2} or {@code TLSv1.3}: the file's word and the JSSE/Netty protocol name. */
        public String key() {
            return key;
        }

        @Override
        public String toString() {
            return key;
        }
    }

    /** {@code client_auth}: whether a client certificate is asked for, and whether it must come. */
    public enum ClientAuth {
        /** Not asked for. */
        NONE,
        /** Asked for; a client without one goes on, one whose certificate does not verify is refused. */
        OPTIONAL,
        /** Asked for; a client without a certificate that verifies is refused. */
        REQUIRED;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Session tickets (stateless resumption).
     *
     * @param enabled  {@code session_tickets}
     * @param keysFile {@code ticket_keys}: a file of keys (the first encrypts, all decrypt), reloaded with the file;
     *                 empty for keys Ferry makes and rotates
     * @param rotation {@code ticket_key_rotation}: without a keys file, a new key every this long; the previous key
     *                 still decrypts for one more period
     */
    public record Tickets(boolean enabled, Optional<Path> keysFile, Duration rotation) {
        public static final Duration DEFAULT_ROTATION = Duration.ofHours(12);
        public static final Tickets DEFAULTS = new Tickets(true, Optional.empty(), DEFAULT_ROTATION);
    }

    /**
     * The request headers that tell servers about the client's certificate (http frontends with client_auth). Any of
     * them a client sent itself is removed first, so it cannot be forged.
     *
     * @param subject  the verified certificate's subject, RFC 2253 ({@code CN=alice,O=Example})
     * @param issuer   its issuer, RFC 2253
     * @param verified {@code SUCCESS} when the client sent a certificate that verified, {@code NONE} when it sent none
     */
    public record ClientCertHeaders(String subject, String issuer, String verified) {
        public static final ClientCertHeaders DEFAULTS = new ClientCertHeaders("x-client-cert-subject",
                "x-client-cert-issuer", "x-client-cert-verified");

        public ClientCertHeaders {
            subject = subject.toLowerCase(Locale.ROOT);
            issuer = issuer.toLowerCase(Locale.ROOT);
            verified = verified.toLowerCase(Locale.ROOT);
        }
    }
}
