package dev.ferry.cluster;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.LocalConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns the value of {@code <prefix>config} into the configuration an instance runs: the YAML read and validated as
 * {@code ferry validate} does, refused if it sets {@code admin:} (per instance), joined with the local file's
 * {@code admin:}. A missing or blank key is a state of its own: nothing to serve.
 */
public final class SharedConfig {
    private SharedConfig() {
    }

    /** How problems name the shared configuration: {@code etcd:/ferry/config}. */
    public static Path source(String key) {
        return Path.of("etcd:" + key);
    }

    /** Whether {@code value} means "no configuration": a missing key or only white space. */
    public static boolean isEmpty(Optional<EtcdClient.KeyValue> value) {
        return value.isEmpty() || value.get().text().isBlank();
    }

    /**
     * The configuration to run for {@code value}.
     *
     * @throws ConfigException when the YAML is not a valid shared configuration
     */
    public static FerryConfig effective(LocalConfig local, Optional<EtcdClient.KeyValue> value)
            throws ConfigException {
        Path source = source(local.etcd().configKey());
        if (isEmpty(value)) {
            return local.empty(source);
        }
        FerryConfig shared = parse(value.get().text(), source);
        return local.effective(shared);
    }

    /**
     * Reads {@code yaml} as a shared configuration: everything {@link ConfigLoader#parse} checks, and no
     * {@code admin:}.
     */
    public static FerryConfig parse(String yaml, Path source) throws ConfigException {
        FerryConfig shared = ConfigLoader.parse(yaml, source);
        Optional<dev.ferry.config.ConfigProblem> adminProblem = LocalConfig.sharedProblem(shared);
        if (adminProblem.isPresent()) {
            throw new ConfigException(List.of(adminProblem.get()));
        }
        return shared;
    }
}
