package dev.ferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
 */
public record FerryConfig(Path source, Optional<AdminConfig> admin, List<FrontendConfig> frontends,
                          List<BackendConfig> backends, Duration shutdownGrace) {
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

    public FerryConfig {
        frontends = List.copyOf(frontends);
        backends = List.copyOf(backends);
    }

    public Optional<BackendConfig> backend(String name) {
        return backends.stream().filter(b -> b.name().equals(name)).findFirst();
    }
}
