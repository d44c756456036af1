package dev.ferry.config;

import java.nio.file.Path;
import java.util.Optional;

/** The {@code admin:} section: where the admin API listens and the optional bearer-token file. */
public record AdminConfig(HostPort listen, Optional<Path> tokenFile) {
}
