package dev.ferry.config;

import org.yaml.snakeyaml.nodes.Node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** Reads the top level of a composed YAML document into a {@link FerryConfig}, delegating each section. */
final class ConfigReader {
    static final List<String> KEYS = List.of("admin", "frontends", "backends", "shutdown_grace", "access_log",
            "dns", "directors", "instance", "config_source");
    static final List<String> ACCESS_LOG_KEYS = List.of("path", "format");
    static final List<String> ADMIN_KEYS = List.of("listen", "token_file");
    private static final String NOTHING_TO_SERVE = "a configuration needs something to serve: at least one frontend "
            + "(where traffic enters), a dns: responder or a director";

    private final Path source;
    private final Problems problems;
    private final Paths paths;
    private final CrossChecks crossChecks;
    private final FrontendReader frontendReader;
    private final BackendReader backendReader;
    private final DnsReader dnsReader;

    ConfigReader(Path source, Problems problems, Function<SchedulerConfig, List<SchedulerProblem>> schedulerProblems) {
        this.source = source;
        this.problems = problems;
        this.paths = new Paths(source);
        this.crossChecks = new CrossChecks(problems);
        this.frontendReader = new FrontendReader(crossChecks, paths);
        this.backendReader = new BackendReader(crossChecks, schedulerProblems, paths);
        this.dnsReader = new DnsReader(crossChecks);
    }

    /** The configuration in {@code root}; meaningful only when no problem was recorded. */
    Optional<FerryConfig> read(Node root) {
        Optional<YamlMap> top = YamlMap.of(root, "", problems, KEYS);
        if (top.isEmpty()) {
            return Optional.empty();
        }
        YamlMap t = top.get();
        if (t.has("instance")) {
            t.problemAtKey("instance", "belongs in an instance's local file, next to config_source:");
        }
        if (t.has("config_source")) {
            t.problemAtKey("config_source", "makes this an instance's local file, which may hold only "
                    + String.join(", ", LocalConfigReader.KEYS) + " (the shared configuration lives in etcd)");
        }
        Optional<AdminConfig> admin = t.map("admin", ADMIN_KEYS).map(this::admin);
        List<FrontendConfig> frontends = new ArrayList<>();
        for (YamlMap f : t.mapList("frontends", FrontendReader.KEYS)) {
            frontends.add(frontendReader.read(f));
        }
        // Anything that serves will do: frontends, a DNS responder on its own (DNS load balancing) or a director.
        if (!t.has("dns") && !t.has("directors")) {
            if (!t.has("frontends")) {
                t.missing("frontends", NOTHING_TO_SERVE);
            } else if (t.isEmptyList("frontends")) {
                t.problem("frontends", "is empty; " + NOTHING_TO_SERVE);
            }
        }
        List<BackendConfig> backends = new ArrayList<>();
        for (YamlMap b : t.mapList("backends", BackendReader.KEYS)) {
            backends.add(backendReader.read(b));
        }
        Duration shutdownGrace = t.duration("shutdown_grace", FerryConfig.DEFAULT_SHUTDOWN_GRACE, Duration.ZERO);
        Optional<AccessLogConfig> accessLog = t.map("access_log", ACCESS_LOG_KEYS).map(this::accessLog);
        Optional<DnsConfig> dns = t.map("dns", DnsReader.KEYS).map(dnsReader::read);
        Map<String, BackendConfig> backendsByName = new HashMap<>();
        backends.forEach(b -> backendsByName.putIfAbsent(b.name(), b));
        DirectorReader directorReader = new DirectorReader(crossChecks);
        List<DirectorConfig> directors = new ArrayList<>();
        for (YamlMap d : t.mapList("directors", DirectorReader.KEYS)) {
            directors.add(directorReader.read(d, backendsByName));
        }
        crossChecks.finish();
        return Optional.of(new FerryConfig(source, admin, frontends, backends, shutdownGrace, accessLog, dns,
                directors, problems.positions()));
    }

    private AccessLogConfig accessLog(YamlMap a) {
        Optional<Path> path = a.text("path", "a file name or stdout")
                .filter(p -> !p.equals("stdout"))
                .map(paths::resolve);
        AccessLogConfig.Format format = a.choice("format", YamlMap.choicesOf(AccessLogConfig.Format.class))
                .orElse(AccessLogConfig.Format.TEXT);
        return new AccessLogConfig(path, format);
    }

    AdminConfig admin(YamlMap a) {
        Optional<HostPort> listen = a.address("listen", true);
        listen.ifPresent(l -> crossChecks.listen(l, false, a.value("listen").orElseThrow(), a.keyPath("listen")));
        if (!a.has("listen")) {
            a.missing("listen", "the admin API needs an address to listen on, e.g. 127.0.0.1:9090");
        }
        Optional<Path> tokenFile = a.parsed("token_file", "a file name", paths::resolve);
        return new AdminConfig(listen.orElse(null), tokenFile);
    }
}
