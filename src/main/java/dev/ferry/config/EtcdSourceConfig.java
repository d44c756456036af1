package dev.ferry.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code config_source.etcd:} section of an instance's local file: where the shared configuration lives.
 *
 * @param endpoints   etcd client URLs ({@code http://HOST:PORT} or {@code https://...}), tried in order
 * @param prefix      the key prefix, starting and ending with {@code /}; the shared configuration is
 *                    {@code <prefix>config}, members {@code <prefix>members/<instance>}, status
 *                    {@code <prefix>status/<instance>}
 * @param tls         client TLS towards etcd; empty = the JDK's default trust, no client certificate
 * @param username    etcd user (with {@code password}); empty = no authentication
 * @param password    that user's password
 * @param dialTimeout how long one request to one endpoint may take to connect (and a unary call to answer)
 * @param leaseTtl    the TTL of the lease that holds this instance's member and status keys
 */
public record EtcdSourceConfig(List<URI> endpoints, String prefix, Optional<Tls> tls, Optional<String> username,
                               Optional<String> password, Duration dialTimeout, Duration leaseTtl) {
    public static final List<URI> DEFAULT_ENDPOINTS = List.of(URI.create("http://127.0.0.1:2379"));
    public static final String DEFAULT_PREFIX = "/ferry/";
    public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);

    public EtcdSourceConfig {
        endpoints = List.copyOf(endpoints);
    }

    /** A configuration with every default and these endpoints (tests, tools). */
    public static EtcdSourceConfig of(List<URI> endpoints, String prefix) {
        return new EtcdSourceConfig(endpoints, prefix, Optional.empty(), Optional.empty(), Optional.empty(),
                DEFAULT_DIAL_TIMEOUT, DEFAULT_LEASE_TTL);
    }

    /** The key that holds the shared configuration. */
    public String configKey() {
        return prefix + "config";
    }

    /**
     * {@code config_source.etcd.tls}: files in PEM.
     *
     * @param ca   the CA that signed etcd's certificate; empty = the JDK's default trust store
     * @param cert this instance's client certificate (with {@code key}); empty = none
     * @param key  its private key (PKCS#8 PEM)
     */
    public record Tls(Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {
    }
}
