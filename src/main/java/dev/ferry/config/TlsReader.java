package dev.ferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads a frontend's {@code tls:} into a {@link TlsConfig}: the certificates and the handshake policy. What depends
 * on the files or on the TLS provider (a cipher name the provider does not have, a key that does not match, an
 * expired certificate, an OCSP response for another certificate) is checked when the files are loaded
 * ({@code dev.ferry.transport.TlsTerminator}), which {@code ferry validate} runs too.
 */
final class TlsReader {
    static final List<String> KEYS = List.of("certificates", "min_version", "ciphers", "ciphersuites", "groups",
            "session_tickets", "ticket_keys", "ticket_key_rotation", "session_cache", "client_auth", "ca",
            "client_cert_headers");
    static final List<String> CERTIFICATE_KEYS = List.of("cert", "key", "key_password_file", "ocsp");
    static final List<String> CLIENT_CERT_HEADER_KEYS = List.of("subject", "issuer", "verified");
    private static final Map<String, TlsConfig.ClientAuth> CLIENT_AUTH = YamlMap.choicesOf(TlsConfig.ClientAuth.class);
    private static final String VERSIONS = "allowed: TLSv1.2 (the default: TLS 1.2 and 1.3) or TLSv1.3 (1.3 only)";
    /** TLS 1.3 suites (RFC 8446 B.4): they go in ciphersuites, not ciphers. */
    private static final List<String> TLS13_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Duration MIN_ROTATION = Duration.ofMinutes(1);

    private final Paths paths;

    TlsReader(Paths paths) {
        this.paths = paths;
    }

    /** @param http whether the frontend is an http one (client_cert_headers is only for those) */
    TlsConfig read(YamlMap t, boolean http) {
        List<TlsConfig.Certificate> certificates = certificates(t);
        TlsConfig.Version minVersion = t.text("min_version", "TLSv1.2 or TLSv1.3").flatMap(v -> version(t, v))
                .orElse(TlsConfig.Version.TLS_1_2);
        List<String> ciphers = t.has("ciphers") ? ciphers(t) : List.of();
        if (!ciphers.isEmpty() && minVersion == TlsConfig.Version.TLS_1_3) {
            t.problem("ciphers", "ciphers are TLS 1.2 suites, and min_version TLSv1.3 takes no TLS 1.2 client; remove "
                    + "ciphers (TLS 1.3 suites go in ciphersuites)");
        }
        List<String> ciphersuites = t.has("ciphersuites") ? ciphersuites(t) : List.of();
        List<String> groups = t.has("groups") ? nonEmpty(t, "groups", "a group name such as X25519 or P-256")
                : List.of();
        TlsConfig.Tickets tickets = tickets(t);
        boolean sessionCache = t.bool("session_cache", true);
        TlsConfig.ClientAuth clientAuth = t.choice("client_auth", CLIENT_AUTH).orElse(TlsConfig.ClientAuth.NONE);
        Optional<Path> ca = t.parsed("ca", "a PEM file of CA certificates", paths::resolve);
        if (t.has("client_auth") && clientAuth != TlsConfig.ClientAuth.NONE && !t.has("ca")) {
            t.missing("ca", "client_auth: " + clientAuth.key() + " needs the CA certificates that client "
                    + "certificates must chain to, e.g. ca: certs/clients-ca.pem");
        }
        if (t.has("ca") && clientAuth == TlsConfig.ClientAuth.NONE) {
            t.problem("ca", "ca is the CAs of client certificates, which are asked for only with client_auth: "
                    + "optional or required; set client_auth or remove ca");
        }
        TlsConfig.ClientCertHeaders headers = t.map("client_cert_headers", CLIENT_CERT_HEADER_KEYS)
                .map(TlsReader::headers).orElse(TlsConfig.ClientCertHeaders.DEFAULTS);
        if (t.has("client_cert_headers") && !http) {
            t.problem("client_cert_headers", "client_cert_headers applies only to http frontends (a tcp frontend "
                    + "relays bytes and adds no header)");
        } else if (t.has("client_cert_headers") && clientAuth == TlsConfig.ClientAuth.NONE) {
            t.problem("client_cert_headers", "without client_auth (optional or required) no client certificate is "
                    + "asked for, so there is nothing to pass on; set client_auth or remove client_cert_headers");
        }
        return new TlsConfig(certificates, minVersion, ciphers, ciphersuites, groups, tickets, sessionCache,
                clientAuth, ca, headers);
    }

    private List<TlsConfig.Certificate> certificates(YamlMap t) {
        List<TlsConfig.Certificate> certificates = new ArrayList<>();
        for (YamlMap c : t.mapList("certificates", CERTIFICATE_KEYS)) {
            Optional<Path> cert = c.parsed("cert", "a PEM certificate file", paths::resolve);
            Optional<Path> key = c.parsed("key", "a PEM private key file", paths::resolve);
            Optional<Path> password = c.parsed("key_password_file", "a file holding the key's passphrase",
                    paths::resolve);
            Optional<Path> ocsp = c.parsed("ocsp", "a DER OCSP response file", paths::resolve);
            if (!c.has("cert")) {
                c.missing("cert", "write the PEM certificate (chain) file, e.g. cert: certs/site.pem");
            }
            if (!c.has("key")) {
                c.missing("key", "write the PEM private key file, e.g. key: certs/site.key");
            }
            if (cert.isPresent() && key.isPresent()) {
                certificates.add(new TlsConfig.Certificate(cert.get(), key.get(), password, ocsp));
            }
        }
        if (!t.has("certificates")) {
            t.missing("certificates", "tls needs at least one { cert: FILE, key: FILE }");
        } else if (t.isEmptyList("certificates")) {
            t.problem("certificates", "is empty; tls needs at least one { cert: FILE, key: FILE }");
        }
        return certificates;
    }

    private static Optional<TlsConfig.Version> version(YamlMap t, String text) {
        String v = text.toLowerCase(Locale.ROOT).replace(" ", "");
        switch (v) {
            case "tlsv1.2", "1.2", "tls1.2" -> {
                return Optional.of(TlsConfig.Version.TLS_1_2);
            }
            case "tlsv1.3", "1.3", "tls1.3" -> {
                return Optional.of(TlsConfig.Version.TLS_1_3);
            }
            case "tlsv1", "tlsv1.0", "1.0", "tls1.0", "tlsv1.1", "1.1", "tls1.1", "sslv3", "sslv2" -> {
                t.problem("min_version", "'" + text + "' is refused: TLS 1.0 and 1.1 (and SSL) are deprecated by RFC "
                        + "8996 and Ferry does not speak them; " + VERSIONS);
                return Optional.empty();
            }
            default -> {
                t.problem("min_version", "'" + text + "' is not a TLS version; " + VERSIONS);
                return Optional.empty();
            }
        }
    }

    private static List<String> ciphers(YamlMap t) {
        List<String> names = nonEmpty(t, "ciphers", "a TLS 1.2 cipher suite name such as ECDHE-RSA-AES128-GCM-SHA256");
        for (String name : names) {
            if (TLS13_SUITES.contains(name.toUpperCase(Locale.ROOT))) {
                t.problem("ciphers", "'" + name + "' is a TLS 1.3 suite; ciphers lists TLS 1.2 suites, TLS 1.3 ones "
                        + "go in ciphersuites");
            } else if (name.contains(":") || name.contains(",") || name.contains(" ")) {
                t.problem("ciphers", "'" + name + "' holds several names; write one suite per list item, e.g. "
                        + "[ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256]");
            }
        }
        return names;
    }

    private static List<String> ciphersuites(YamlMap t) {
        List<String> names = nonEmpty(t, "ciphersuites", "a TLS 1.3 suite name such as TLS_AES_128_GCM_SHA256");
        List<String> upper = new ArrayList<>();
        for (String name : names) {
            String u = name.toUpperCase(Locale.ROOT);
            if (!TLS13_SUITES.contains(u)) {
                t.problem("ciphersuites", "'" + name + "' is not a TLS 1.3 suite; allowed: "
                        + String.join(", ", TLS13_SUITES) + " (TLS 1.2 suites go in ciphers)");
            }
            upper.add(u);
        }
        return upper;
    }

    private static List<String> nonEmpty(YamlMap t, String key, String expected) {
        List<String> names = t.textList(key, expected);
        if (names.isEmpty() && t.isEmptyList(key)) {
            t.problem(key, "is empty; leave " + key + " out for the defaults, or list at least one");
        }
        return names;
    }

    private TlsConfig.Tickets tickets(YamlMap t) {
        boolean enabled = t.bool("session_tickets", true);
        Optional<Path> keys = t.parsed("ticket_keys", "a file of session ticket keys", paths::resolve);
        Duration rotation = t.duration("ticket_key_rotation", TlsConfig.Tickets.DEFAULT_ROTATION, MIN_ROTATION);
        if (!enabled) {
            for (String key : List.of("ticket_keys", "ticket_key_rotation")) {
                if (t.has(key)) {
                    t.problem(key, key + " has no use with session_tickets: false; remove one of them");
                }
            }
        } else if (t.has("ticket_keys") && t.has("ticket_key_rotation")) {
            t.problem("ticket_key_rotation", "ticket_keys are rotated by whoever writes the file (add a new first "
                    + "line and reload); ticket_key_rotation is for the keys Ferry makes itself; keep one of them");
        }
        return new TlsConfig.Tickets(enabled, keys, rotation);
    }

    private static TlsConfig.ClientCertHeaders headers(YamlMap h) {
        TlsConfig.ClientCertHeaders d = TlsConfig.ClientCertHeaders.DEFAULTS;
        Map<String, String> names = new LinkedHashMap<>();
        names.put("subject", header(h, "subject", d.subject()));
        names.put("issuer", header(h, "issuer", d.issuer()));
        names.put("verified", header(h, "verified", d.verified()));
        if (names.values().stream().distinct().count() < names.size()) {
            h.problemHere("the three headers need three different names; they are " + names);
        }
        return new TlsConfig.ClientCertHeaders(names.get("subject"), names.get("issuer"), names.get("verified"));
    }

    private static String header(YamlMap h, String key, String fallback) {
        return h.text(key, "a header name such as " + fallback).flatMap(name -> {
            if (!TOKEN.matcher(name).matches()) {
                h.problem(key, "'" + name + "' is not a header name (letters, digits and !#$%&'*+.^_`|~- only)");
                return Optional.empty();
            }
            return Optional.of(name.toLowerCase(Locale.ROOT));
        }).orElse(fallback);
    }
}
