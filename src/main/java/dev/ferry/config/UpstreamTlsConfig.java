package dev.ferry.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code tls:} on a backend or a server: Ferry speaks TLS to the servers (HAProxy's {@code server ... ssl}). Every key
 * is optional; a server's {@code tls:} gives only what differs from its backend's ({@link #over}), and the defaults
 * apply to what neither says.
 *
 * @param verify     check the server's certificate chain against {@code ca} and its name against {@code sni} (key
 *                   {@code verify}, default true)
 * @param ca         PEM file of the certificate authorities trusted for the servers (default: the JDK's trust store)
 * @param sni        the name sent by SNI and checked against the server's certificate (default: the server's host
 *                   name when its address is a name; with an IP address no SNI goes, and the certificate must name
 *                   the IP address)
 * @param clientCert Ferry's own certificate and key, for servers that ask for one (key {@code client_cert})
 * @param minVersion the oldest TLS version offered (key {@code min_version}: {@code TLSv1.2}, default, or
 *                   {@code TLSv1.3})
 */
public record UpstreamTlsConfig(Optional<Boolean> verify, Optional<Path> ca, Optional<String> sni,
                                Optional<TlsConfig.Certificate> clientCert, Optional<String> minVersion) {
    /** The TLS versions {@code min_version} may name, oldest first. */
    public static final List<String> VERSIONS = List.of("TLSv1.2", "TLSv1.3");
    /** {@code tls: {}}: every default. */
    public static final UpstreamTlsConfig DEFAULTS = new UpstreamTlsConfig(Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty());

    /** Whether the server's certificate is checked (default true). */
    public boolean verifies() {
        return verify.orElse(true);
    }

    /** The TLS versions offered: {@code min_version} and newer. */
    public List<String> versions() {
        return VERSIONS.subList(VERSIONS.indexOf(minVersion.orElse(VERSIONS.getFirst())), VERSIONS.size());
    }

    /** This (a server's {@code tls:}) over {@code base} (its backend's): each key given here replaces the base's. */
    public UpstreamTlsConfig over(UpstreamTlsConfig base) {
        return new UpstreamTlsConfig(verify.or(base::verify), ca.or(base::ca), sni.or(base::sni),
                clientCert.or(base::clientCert), minVersion.or(base::minVersion));
    }
}
