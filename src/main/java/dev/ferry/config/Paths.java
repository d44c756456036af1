package dev.ferry.config;

import java.nio.file.Path;

/**
 * Resolves file names written in the configuration (certificates, token files) against the configuration file's
 * directory, so a configuration works the same from any working directory. Absolute names stay as written.
 */
final class Paths {
    private final Path base;

    /** @param source the configuration file; its parent directory is the base (none: names stay as written) */
    Paths(Path source) {
        this.base = source.getParent();
    }

    Path resolve(String name) {
        Path path = Path.of(name);
        return base == null || path.isAbsolute() ? path : base.resolve(path);
    }
}
