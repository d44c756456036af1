package dev.ferry.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** {@code tls:} of a frontend: PEM certificate/key pairs; SNI picks among them, the first is the default. */
public record TlsConfig(List<Certificate> certificates) {
    public TlsConfig {
        certificates = List.copyOf(certificates);
    }

    /**
     * One certificate (chain) and its private key.
     *
     * @param cert            PEM certificate file, the server's certificate first, then intermediates
     * @param key             PEM private key: PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE
     *                        KEY}), SEC1 ({@code BEGIN EC PRIVATE KEY}) or encrypted PKCS#8 ({@code BEGIN ENCRYPTED
     *                        PRIVATE KEY}, with {@code keyPasswordFile})
     * @param keyPasswordFile the file whose first line is the passphrase of an encrypted key (key
     *                        {@code key_password_file})
     */
    public record Certificate(Path cert, Path key, Optional<Path> keyPasswordFile) {
        public Certificate(Path cert, Path key) {
            this(cert, key, Optional.empty());
        }
    }
}
