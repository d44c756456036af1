package dev.ferry.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * An instance's local file when it has {@code config_source:}: only what is per instance. The shared configuration
 * (frontends, backends, ...) comes from etcd; {@link #effective} puts the two together.
 *
 * @param source   the local file
 * @param instance this instance's name (key {@code instance}; default: the host name)
 * @param admin    this instance's admin API, empty without {@code admin:}
 * @param etcd     where the shared configuration lives
 */
public record LocalConfig(Path source, String instance, Optional<AdminConfig> admin, EtcdSourceConfig etcd) {

    /**
     * The configuration this instance runs: {@code shared} with this file's {@code admin:} (the admin API is per
     * instance; the shared configuration may not set it, see {@link #sharedProblem}).
     */
    public FerryConfig effective(FerryConfig shared) {
        return new FerryConfig(shared.source(), admin, shared.frontends(), shared.backends(), shared.shutdownGrace(),
                shared.accessLog(), shared.dns(), shared.directors(), shared.positions());
    }

    /** The configuration to run while the shared one is missing or empty: nothing to serve, only the admin API. */
    public FerryConfig empty(Path source) {
        return new FerryConfig(source, admin, java.util.List.of(), java.util.List.of(),
                FerryConfig.DEFAULT_SHUTDOWN_GRACE, Optional.empty(), Optional.empty(), java.util.List.of(),
                KeyPositions.NONE);
    }

    /** Why {@code shared} cannot be a shared configuration, or empty: it sets {@code admin:}, which is per instance. */
    public static Optional<ConfigProblem> sharedProblem(FerryConfig shared) {
        return shared.admin().map(a -> shared.problem("admin", "the admin API is per instance: set admin: in each "
                + "instance's local file, not in the shared configuration"));
    }
}
