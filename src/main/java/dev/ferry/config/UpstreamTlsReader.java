package dev.ferry.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads {@code tls:} of a backend or of a server ({@link UpstreamTlsConfig}). Whether the files can be used (readable,
 * PEM, a key that belongs to its certificate) is checked at start-up and by {@code ferry validate}, where the files are
 * read (StartupChecks), not here.
 */
final class UpstreamTlsReader {
    static final List<String> KEYS = List.of("verify", "ca", "sni", "client_cert", "min_version");
    static final List<String> CLIENT_CERT_KEYS = List.of("cert", "key", "key_password_file");

    private final Paths paths;

    UpstreamTlsReader(Paths paths) {
        this.paths = paths;
    }

    /** The {@code tls:} under {@code owner}, if it has one. */
    Optional<UpstreamTlsConfig> read(YamlMap owner) {
        return owner.map("tls", KEYS).map(this::tls);
    }

    private UpstreamTlsConfig tls(YamlMap t) {
        Optional<Boolean> verify = t.has("verify") ? Optional.of(t.bool("verify", true)) : Optional.empty();
        Optional<Path> ca = t.parsed("ca", "a PEM file of certificate authorities", paths::resolve);
        Optional<String> sni = t.parsed("sni", "a DNS name such as api.example.com", UpstreamTlsReader::sniName);
        if (ca.isPresent() && verify.isPresent() && !verify.get()) {
            t.problem("ca", "ca: is used only to verify the server's certificate, and verify: false turns that off; "
                    + "drop one of them");
        }
        Optional<String> minVersion = t.text("min_version", "TLSv1.2 or TLSv1.3").flatMap(v -> {
            if (UpstreamTlsConfig.VERSIONS.contains(v)) {
                return Optional.of(v);
            }
            t.problem("min_version", "'" + v + "' is not allowed; allowed: "
                    + String.join(", ", UpstreamTlsConfig.VERSIONS));
            return Optional.empty();
        });
        Optional<TlsConfig.Certificate> clientCert = t.map("client_cert", CLIENT_CERT_KEYS).flatMap(this::clientCert);
        return new UpstreamTlsConfig(verify, ca, sni, clientCert, minVersion);
    }

    private Optional<TlsConfig.Certificate> clientCert(YamlMap c) {
        Optional<Path> cert = c.parsed("cert", "a PEM certificate file", paths::resolve);
        Optional<Path> key = c.parsed("key", "a PEM private key file", paths::resolve);
        Optional<Path> password = c.parsed("key_password_file", "a file holding the key's passphrase", paths::resolve);
        if (!c.has("cert")) {
            c.missing("cert", "write Ferry's PEM certificate (chain) file, e.g. cert: certs/ferry-client.pem");
        }
        if (!c.has("key")) {
            c.missing("key", "write the PEM private key file of that certificate, e.g. key: certs/ferry-client.key");
        }
        if (cert.isPresent() && key.isPresent()) {
            return Optional.of(new TlsConfig.Certificate(cert.get(), key.get(), password));
        }
        return Optional.empty();
    }

    /** A host name for SNI (RFC 6066 3: a DNS name, never an IP address), as written, without a trailing dot. */
    private static String sniName(String text) {
        String name = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        if (io.netty.util.NetUtil.isValidIpV4Address(name) || io.netty.util.NetUtil.isValidIpV6Address(name)) {
            throw new IllegalArgumentException("'" + text + "' is an IP address, and SNI carries only DNS names "
                    + "(RFC 6066); leave sni: out to check the server's certificate against its IP address");
        }
        if (name.isEmpty() || !name.matches("[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]*"
                + "[A-Za-z0-9_])?)*")) {
            throw new IllegalArgumentException("'" + text + "' is not a DNS name; write a name such as "
                    + "api.example.com");
        }
        return name;
    }
}
