package dev.ferry.config;

import java.nio.file.Path;
import java.util.List;

/** {@code tls:} of a frontend: PEM certificate/key pairs; SNI picks among them, the first is the default. */
public record TlsConfig(List<Certificate> certificates) {
    public TlsConfig {
        certificates = List.copyOf(certificates);
    }

    public record Certificate(Path cert, Path key) {
    }
}
