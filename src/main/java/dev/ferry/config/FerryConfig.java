package dev.ferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole configuration file, validated. Every list is immutable and every default is filled in, so code that
 * receives a {@code FerryConfig} never checks for missing values.
 *
 * @param source        the file it was read from (or a pseudo-path such as {@code <demo>} for embedded configs)
 * @param admin         the admin listener, empty when the file has no {@code admin:} section
 * @param frontends     where traffic enters, in file order
 * @param backends      server pools, in file order
 * @param shutdownGrace how long SIGTERM waits for live connections before closing them (key {@code shutdown_grace})
 * @param accessLog     where and how connections and requests are logged; empty = no access log (key
 *                      {@code access_log})
 * @param dns           the DNS responder, empty when the file has no {@code dns:} section
 * @param directors     the packet-level directors (LVS), in file order
 * @param positions     where each key was written, for placing problems found after loading; not part of
 *                      {@link #equals}: two files that configure the same thing are equal however they are laid out
 */
public record FerryConfig(Path source, Optional<AdminConfig> admin, List<FrontendConfig> frontends,
                          List<BackendConfig> backends, Duration shutdownGrace, Optional<AccessLogConfig> accessLog,
                          Optional<DnsConfig> dns, List<DirectorConfig> directors, KeyPositions positions) {
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

    public FerryConfig {
        frontends = List.copyOf(frontends);
        backends = List.copyOf(backends);
        directors = List.copyOf(directors);
    }

    /** A configuration without DNS responder. */
    public FerryConfig(Path source, Optional<AdminConfig> admin, List<FrontendConfig> frontends,
                       List<BackendConfig> backends, Duration shutdownGrace, Optional<AccessLogConfig> accessLog,
                       KeyPositions positions) {
        this(source, admin, frontends, backends, shutdownGrace, accessLog, Optional.empty(), List.of(), positions);
    }

    /** A configuration built in code, with no file positions. */
    public FerryConfig(Path source, Optional<AdminConfig> admin, List<FrontendConfig> frontends,
                       List<BackendConfig> backends, Duration shutdownGrace) {
        this(source, admin, frontends, backends, shutdownGrace, Optional.empty(), Optional.empty(), List.of(),
                KeyPositions.NONE);
    }

    /**
     * A problem about {@code keyPath} placed where the file wrote that key (or its closest written parent, for a
     * defaulted key); line and column are 0 when the configuration was not read from a file.
     */
    public ConfigProblem problem(String keyPath, String message) {
        KeyPositions.Position at = positions.of(keyPath).orElse(new KeyPositions.Position(0, 0));
        return new ConfigProblem(source.toString(), at.line(), at.column(), keyPath, message);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FerryConfig c && source.equals(c.source) && admin.equals(c.admin)
                && frontends.equals(c.frontends) && backends.equals(c.backends)
                && shutdownGrace.equals(c.shutdownGrace) && accessLog.equals(c.accessLog) && dns.equals(c.dns)
                && directors.equals(c.directors);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, admin, frontends, backends, shutdownGrace, accessLog, dns, directors);
    }

    public Optional<BackendConfig> backend(String name) {
        return backends.stream().filter(b -> b.name().equals(name)).findFirst();
    }
}
