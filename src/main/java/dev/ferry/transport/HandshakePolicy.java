package dev.ferry.transport;

import dev.ferry.config.TlsConfig;
import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.CipherSuiteFilter;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * What a frontend's {@code tls:} says about the handshake itself, checked against the provider and applied to each
 * certificate's context: the versions ({@code min_version}), the TLS 1.2 suites ({@code ciphers}: OpenSSL names such
 * as {@code ECDHE-RSA-AES128-GCM-SHA256} or IANA names such as {@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}), the
 * TLS 1.3 suites ({@code ciphersuites}: the JDK provider only, BoringSSL's are fixed) and the key exchange groups
 * ({@code groups}: {@code X25519}, {@code P-256}, {@code P-384}, {@code P-521}, {@code X25519MLKEM768}).
 *
 * <p>Immutable once made; {@link #of} does the checks and throws {@link TlsFileException} at the key that is wrong.
 */
final class HandshakePolicy {
    /** Config name (lower case, with aliases) to {BoringSSL name, JDK name}. */
    private static final Map<String, String[]> GROUPS = new LinkedHashMap<>();

    static {
        GROUPS.put("x25519", new String[]{"X25519", "x25519"});
        GROUPS.put("p-256", new String[]{"P-256", "secp256r1"});
        GROUPS.put("secp256r1", GROUPS.get("p-256"));
        GROUPS.put("prime256v1", GROUPS.get("p-256"));
        GROUPS.put("p-384", new String[]{"P-384", "secp384r1"});
        GROUPS.put("secp384r1", GROUPS.get("p-384"));
        GROUPS.put("p-521", new String[]{"P-521", "secp521r1"});
        GROUPS.put("secp521r1", GROUPS.get("p-521"));
        GROUPS.put("x25519mlkem768", new String[]{"X25519MLKEM768", "X25519MLKEM768"});
    }

    private static final String GROUP_NAMES = "X25519, P-256 (secp256r1), P-384 (secp384r1), P-521 (secp521r1), "
            + "X25519MLKEM768";

    private final String[] protocols;
    private final List<String> ciphers;
    private final List<String> ciphersuites;
    private final String[] groups;
    private final boolean openSsl;

    private HandshakePolicy(String[] protocols, List<String> ciphers, List<String> ciphersuites, String[] groups,
                            boolean openSsl) {
        this.protocols = protocols;
        this.ciphers = ciphers;
        this.ciphersuites = ciphersuites;
        this.groups = groups;
        this.openSsl = openSsl;
    }

    static HandshakePolicy of(TlsConfig config, SslProvider provider) {
        boolean openSsl = provider != SslProvider.JDK;
        String[] protocols = config.minVersion() == TlsConfig.Version.TLS_1_3 ? new String[]{"TLSv1.3"}
                : TlsTerminator.PROTOCOLS;
        List<String> ciphers = ciphers(config.ciphers(), openSsl);
        if (!config.ciphersuites().isEmpty() && openSsl) {
            throw new TlsFileException(-1, "ciphersuites", "BoringSSL, Ferry's TLS provider here, has a fixed set of "
                    + "TLS 1.3 suites (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, "
                    + "preferred by the client's hardware); remove ciphersuites (or run on the JDK's TLS: "
                    + "-Dferry.tls.provider=jdk)");
        }
        List<String> suites13 = List.copyOf(config.ciphersuites());
        if (!openSsl) {
            Set<String> supported = jdkSupported();
            for (String s : suites13) {
                if (!supported.contains(s)) {
                    throw new TlsFileException(-1, "ciphersuites", "'" + s + "' is not a TLS 1.3 suite this Java "
                            + "runtime has; it has: " + String.join(", ", supported.stream()
                            .filter(HandshakePolicy::isTls13).toList()));
                }
            }
        }
        List<String> groupNames = new ArrayList<>();
        for (String g : config.groups()) {
            String[] names = GROUPS.get(g.toLowerCase(Locale.ROOT));
            if (names == null) {
                throw new TlsFileException(-1, "groups", "'" + g + "' is not a key exchange group Ferry knows; "
                        + "allowed: " + GROUP_NAMES);
            }
            groupNames.add(names[openSsl ? 0 : 1]);
        }
        return new HandshakePolicy(protocols, ciphers, suites13,
                groupNames.isEmpty() ? null : new LinkedHashSet<>(groupNames).toArray(String[]::new), openSsl);
    }

    /** The TLS 1.2 suites as the provider takes them (OpenSSL: as written; JDK: IANA names), each checked. */
    private static List<String> ciphers(List<String> written, boolean openSsl) {
        if (written.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        Set<String> known;
        List<String> tls12;
        if (openSsl) {
            known = new LinkedHashSet<>(OpenSsl.availableOpenSslCipherSuites());
            known.addAll(OpenSsl.availableJavaCipherSuites());
            tls12 = OpenSsl.availableOpenSslCipherSuites().stream().filter(c -> !isTls13(c)).toList();
        } else {
            known = jdkSupported();
            tls12 = known.stream().filter(c -> !isTls13(c)).toList();
        }
        for (String name : written) {
            String asGiven = openSsl || name.startsWith("TLS_") || name.startsWith("SSL_") ? name
                    : CipherSuiteConverter.toJava(name, "TLS");
            if (asGiven == null || !known.contains(asGiven)) {
                throw new TlsFileException(-1, "ciphers", "'" + name + "' is not a TLS 1.2 cipher suite of "
                        + (openSsl ? "BoringSSL" : "this Java runtime") + "; it has (OpenSSL or IANA names): "
                        + String.join(", ", tls12));
            }
            out.add(asGiven);
        }
        return out;
    }

    private static Set<String> jdkSupported() {
        try {
            return new LinkedHashSet<>(List.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no default TLS context", e);
        }
    }

    static boolean isTls13(String suite) {
        return suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
    }

    /** Versions, suites and (OpenSSL) groups onto a certificate's context builder. */
    void applyTo(SslContextBuilder b) {
        b.protocols(protocols);
        if (!ciphers.isEmpty() || !ciphersuites.isEmpty()) {
            b.ciphers(null, chosen());
        }
        if (groups != null && openSsl) {
            b.option(OpenSslContextOption.GROUPS, groups);
        }
    }

    /**
     * The suites in order: the chosen TLS 1.2 ones (else the defaults), then the chosen TLS 1.3 ones (else the
     * defaults: without a TLS 1.3 suite in the list, Netty would switch TLS 1.3 off).
     */
    private CipherSuiteFilter chosen() {
        return (requested, defaults, supported) -> {
            List<String> out = new ArrayList<>();
            if (ciphers.isEmpty()) {
                defaults.stream().filter(c -> !isTls13(c) && supported.contains(c)).forEach(out::add);
            } else {
                out.addAll(ciphers);
            }
            if (ciphersuites.isEmpty()) {
                defaults.stream().filter(c -> isTls13(c) && supported.contains(c)).forEach(out::add);
            } else {
                out.addAll(ciphersuites);
            }
            return out.toArray(String[]::new);
        };
    }

    /** The JDK provider takes groups per engine (its contexts have no such option). */
    void applyTo(SSLEngine engine) {
        if (groups != null && !openSsl) {
            SSLParameters p = engine.getSSLParameters();
            p.setNamedGroups(groups);
            engine.setSSLParameters(p);
        }
    }
}
