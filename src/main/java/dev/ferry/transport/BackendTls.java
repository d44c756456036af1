package dev.ferry.transport;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.ServerConfig;
import dev.ferry.config.ServerDiscovery;
import dev.ferry.config.UpstreamTlsConfig;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * TLS to the servers of one backend: the backend's {@code tls:} and each server's own (over it), loaded once per
 * start or reload (file reads: off the event loops), and looked up per new server connection by
 * {@link #forServer}. Servers with the same effective setting share one {@link TlsOriginator} (and its session
 * caches). Servers found by DNS ({@code <entry>@<ip>:<port>}) take their entry's setting; servers added through the
 * admin API the backend's.
 *
 * <p>Threading: immutable; any thread.
 */
public final class BackendTls {
    /** A backend without any {@code tls:}: every server is plain TCP. */
    public static final BackendTls NONE = new BackendTls(null, Map.of(), Map.of(), null);

    /** Where a {@link TlsFileException} came from: the key path under the backend ({@code servers[1].tls.ca}). */
    public static final class FileProblem extends IllegalArgumentException {
        private final String path;

        FileProblem(String path, String message) {
            super(message);
            this.path = path;
        }

        /** The key under the backend: {@code tls.ca}, {@code servers[2].tls.client_cert.key}, ... */
        public String path() {
            return path;
        }
    }

    private final TlsOriginator backendLevel;
    private final Map<String, TlsOriginator> byEntry;
    /** The name each entry's servers are checked against when no {@code sni} is given, when the entry has one. */
    private final Map<String, String> entryHosts;
    private final UpstreamTlsFailures failures;

    private BackendTls(TlsOriginator backendLevel, Map<String, TlsOriginator> byEntry, Map<String, String> entryHosts,
                       UpstreamTlsFailures failures) {
        this.backendLevel = backendLevel;
        this.byEntry = byEntry;
        this.entryHosts = entryHosts;
        this.failures = failures;
    }

    /**
     * Reads the files of every {@code tls:} of {@code bc} (blocking).
     *
     * @param failures where failed handshakes to this backend's servers are counted (it outlives reloads)
     * @throws FileProblem naming the key path of the file that cannot be used, and why
     */
    public static BackendTls load(BackendConfig bc, SslProvider provider, UpstreamTlsFailures failures) {
        if (!bc.hasTls()) {
            return NONE;
        }
        Map<UpstreamTlsConfig, TlsOriginator> loaded = new HashMap<>();
        TlsOriginator backendLevel = bc.tls().map(t -> load(loaded, t, provider, "tls", t, null)).orElse(null);
        Map<String, TlsOriginator> byEntry = new HashMap<>();
        Map<String, String> hosts = new HashMap<>();
        List<ServerConfig> servers = bc.servers();
        for (int i = 0; i < servers.size(); i++) {
            ServerConfig sc = servers.get(i);
            Optional<UpstreamTlsConfig> effective = sc.tls().map(own -> own.over(bc.tls()
                    .orElse(UpstreamTlsConfig.DEFAULTS))).or(bc::tls);
            if (effective.isEmpty() || sc.name() == null) {
                continue;
            }
            TlsOriginator o = load(loaded, effective.get(), provider, "servers[" + i + "].tls",
                    sc.tls().orElse(null), bc.tls().orElse(null));
            byEntry.put(sc.name(), o);
            host(sc).ifPresent(h -> hosts.put(sc.name(), h));
        }
        return new BackendTls(backendLevel, Map.copyOf(byEntry), Map.copyOf(hosts), failures);
    }

    private static TlsOriginator load(Map<UpstreamTlsConfig, TlsOriginator> loaded, UpstreamTlsConfig effective,
                                      SslProvider provider, String at, UpstreamTlsConfig own,
                                      UpstreamTlsConfig inherited) {
        TlsOriginator known = loaded.get(effective);
        if (known != null) {
            return known;
        }
        try {
            TlsOriginator o = TlsOriginator.load(effective, provider);
            loaded.put(effective, o);
            return o;
        } catch (TlsFileException e) {
            // A file the server inherited is the backend's key: the problem is shown there.
            boolean inheritedKey = inherited != null && own != null && !writes(own, e.key());
            throw new FileProblem(inheritedKey ? "tls." + e.key() : at + "." + e.key(), e.getMessage());
        }
    }

    private static boolean writes(UpstreamTlsConfig own, String key) {
        return key.startsWith("client_cert") ? own.clientCert().isPresent() : own.ca().isPresent();
    }

    /** The DNS name the entry's servers are known by, when it has one: its address's host, or the name it follows. */
    private static Optional<String> host(ServerConfig sc) {
        if (sc.discovery().isPresent()) {
            ServerDiscovery d = sc.discovery().get();
            return d.kind() == ServerDiscovery.Kind.ADDRESS ? Optional.of(stripDot(d.name())) : Optional.empty();
        }
        String h = sc.address() == null ? null : sc.address().host();
        return h == null || NetUtil.isValidIpV4Address(h) || NetUtil.isValidIpV6Address(h) ? Optional.empty()
                : Optional.of(h);
    }

    private static String stripDot(String name) {
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    /** Whether any server of the backend speaks TLS. */
    public boolean any() {
        return backendLevel != null || !byEntry.isEmpty();
    }

    public UpstreamTlsFailures failures() {
        return failures;
    }

    /**
     * The TLS of a connection to server {@code name} at {@code address}; null when the server speaks plain TCP.
     * The peer host (SNI, name check, session cache) is {@code sni}, else the server's DNS name, else its IP address.
     */
    public ServerTls forServer(String name, InetSocketAddress address) {
        if (!any()) {
            return null;
        }
        String entry = name;
        TlsOriginator o = byEntry.get(name);
        if (o == null) {
            int at = name.lastIndexOf('@');
            if (at > 0) {
                entry = name.substring(0, at);
                o = byEntry.get(entry);
            }
        }
        if (o == null) {
            // Not an entry of the file (added through the admin API): the backend's tls:, if any.
            o = backendLevel;
            if (o == null) {
                return null;
            }
        }
        String host = o.config().sni().orElse(entryHosts.get(entry));
        if (host == null) {
            host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        }
        return new ServerTls(o, host, address.getPort(), name, failures);
    }
}
