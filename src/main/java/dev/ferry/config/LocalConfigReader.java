package dev.ferry.config;

import org.yaml.snakeyaml.nodes.Node;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads an instance's local file (one with {@code config_source:}) into a {@link LocalConfig}. Keys of the shared
 * configuration (frontends, backends, ...) are refused at their key: they live in etcd.
 */
final class LocalConfigReader {
    static final List<String> KEYS = List.of("instance", "admin", "config_source");
    static final List<String> SOURCE_KEYS = List.of("etcd");
    static final List<String> ETCD_KEYS = List.of("endpoints", "prefix", "tls", "username", "password",
            "dial_timeout", "lease_ttl");
    static final List<String> TLS_KEYS = List.of("ca", "cert", "key");

    private final Path source;
    private final Problems problems;
    private final Paths paths;
    private final ConfigReader shared;

    LocalConfigReader(Path source, Problems problems) {
        this.source = source;
        this.problems = problems;
        this.paths = new Paths(source);
        this.shared = new ConfigReader(source, problems, c -> List.of());
    }

    Optional<LocalConfig> read(Node root) {
        List<String> all = new ArrayList<>(ConfigReader.KEYS);
        Optional<YamlMap> top = YamlMap.of(root, "", problems, all);
        if (top.isEmpty()) {
            return Optional.empty();
        }
        YamlMap t = top.get();
        for (String key : t.keys()) {
            if (!KEYS.contains(key)) {
                t.problemAtKey(key, "is not allowed in an instance's local file (it has config_source:): the shared "
                        + "configuration comes from etcd; write it there with 'ferry config push'. Allowed here: "
                        + String.join(", ", KEYS));
            }
        }
        String instance = t.name("instance").orElseGet(LocalConfigReader::hostName);
        Optional<AdminConfig> admin = t.map("admin", ConfigReader.ADMIN_KEYS).map(shared::admin);
        Optional<EtcdSourceConfig> etcd = t.map("config_source", SOURCE_KEYS).flatMap(s -> {
            if (!s.has("etcd")) {
                s.missing("etcd", "the only configuration source is etcd: config_source: { etcd: { endpoints: "
                        + "[\"http://127.0.0.1:2379\"] } }");
                return Optional.empty();
            }
            return s.map("etcd", ETCD_KEYS).map(this::etcd);
        });
        return etcd.map(e -> new LocalConfig(source, instance, admin, e));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "ferry";
        }
    }

    private EtcdSourceConfig etcd(YamlMap e) {
        List<URI> endpoints = new ArrayList<>();
        List<String> texts = e.textList("endpoints", "an etcd URL such as http://127.0.0.1:2379");
        for (String text : texts) {
            endpoint(text).ifPresentOrElse(endpoints::add, () -> e.problem("endpoints", "'" + text
                    + "' is not an etcd URL; write http://HOST:PORT or https://HOST:PORT (no path)"));
        }
        if (e.has("endpoints") && e.isEmptyList("endpoints")) {
            e.problem("endpoints", "is empty; list at least one etcd URL, e.g. [\"http://127.0.0.1:2379\"]");
        }
        String prefix = e.text("prefix", "a key prefix such as /ferry/").orElse(EtcdSourceConfig.DEFAULT_PREFIX);
        if (!prefix.startsWith("/") || !prefix.endsWith("/") || prefix.chars().anyMatch(Character::isWhitespace)) {
            e.problem("prefix", "'" + prefix + "' is not a usable prefix; it must start and end with '/' and have "
                    + "no spaces, e.g. /ferry/ or /ferry/site-a/");
            prefix = EtcdSourceConfig.DEFAULT_PREFIX;
        }
        Optional<EtcdSourceConfig.Tls> tls = e.map("tls", TLS_KEYS).map(this::tls);
        if (tls.isPresent() && endpoints.stream().anyMatch(u -> u.getScheme().equals("http"))) {
            e.problem("tls", "is set, but an endpoint uses http://; write https:// endpoints to use TLS");
        }
        Optional<String> username = e.text("username", "an etcd user name");
        Optional<String> password = e.text("password", "the etcd user's password");
        if (username.isPresent() != password.isPresent()) {
            e.problem(username.isPresent() ? "username" : "password",
                    "username and password go together; set both or neither");
        }
        Duration dial = e.duration("dial_timeout", EtcdSourceConfig.DEFAULT_DIAL_TIMEOUT, Duration.ofMillis(100));
        Duration ttl = e.duration("lease_ttl", EtcdSourceConfig.DEFAULT_LEASE_TTL, Duration.ofSeconds(2));
        if (ttl.toMillis() % 1000 != 0) {
            e.problem("lease_ttl", "etcd leases count whole seconds; write e.g. 10s");
        }
        return new EtcdSourceConfig(endpoints.isEmpty() ? EtcdSourceConfig.DEFAULT_ENDPOINTS : endpoints, prefix, tls,
                username, password, dial, ttl);
    }

    private static Optional<URI> endpoint(String text) {
        try {
            URI u = new URI(text);
            boolean ok = ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null
                    && u.getPort() > 0 && (u.getRawPath() == null || u.getRawPath().isEmpty()
                    || u.getRawPath().equals("/")) && u.getRawQuery() == null && u.getUserInfo() == null;
            return ok ? Optional.of(URI.create(u.getScheme() + "://" + u.getRawAuthority())) : Optional.empty();
        } catch (URISyntaxException ex) {
            return Optional.empty();
        }
    }

    private EtcdSourceConfig.Tls tls(YamlMap t) {
        Optional<Path> ca = file(t, "ca");
        Optional<Path> cert = file(t, "cert");
        Optional<Path> key = file(t, "key");
        if (cert.isPresent() != key.isPresent()) {
            t.problem(cert.isPresent() ? "key" : "cert", "cert and key go together; set both or neither");
        }
        return new EtcdSourceConfig.Tls(ca, cert, key);
    }

    private Optional<Path> file(YamlMap t, String key) {
        Optional<Path> path = t.parsed(key, "a PEM file name", paths::resolve);
        path.filter(p -> !Files.isReadable(p))
                .ifPresent(p -> t.problem(key, "cannot read " + p + ": no such file or permission denied"));
        return path;
    }
}
