package dev.ferry.runtime;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.Mode;

import java.util.ArrayList;
import java.util.List;

/**
 * Refuses a valid configuration that asks for something this version cannot do yet, naming each key, rather than
 * running it half-served (say, a health check that never runs). Each feature leaves this list when it lands.
 */
public final class FeatureGate {
    private FeatureGate() {
    }

    /** Throws when {@code config} uses a feature this version does not have; lists every such key. */
    public static void check(FerryConfig config) throws ConfigException {
        List<ConfigProblem> problems = new ArrayList<>();
        config.admin().ifPresent(a -> problems.add(missing(config, "admin", "the admin API")));
        for (int i = 0; i < config.frontends().size(); i++) {
            FrontendConfig f = config.frontends().get(i);
            String at = "frontends[" + i + "]";
            if (f.mode() == Mode.HTTP) {
                problems.add(config.problem(at + ".mode", "mode " + f.mode().key()
                        + " is not available in this version; frontends can use mode tcp or udp"));
            }
            if (f.tls().isPresent()) {
                problems.add(missing(config, at + ".tls", "TLS termination"));
            }
        }
        for (int i = 0; i < config.backends().size(); i++) {
            BackendConfig b = config.backends().get(i);
            String at = "backends[" + i + "]";
            if (b.healthCheck().isPresent()) {
                problems.add(missing(config, at + ".health_check", "active health checking"));
            }
            if (b.outlier().isPresent()) {
                problems.add(missing(config, at + ".outlier", "outlier ejection"));
            }
            if (!b.slowStart().isZero()) {
                problems.add(missing(config, at + ".slow_start", "slow start"));
            }
            if (b.feedback().filter(fb -> fb.enabled()).isPresent()) {
                problems.add(missing(config, at + ".feedback", "dynamic feedback"));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    private static ConfigProblem missing(FerryConfig config, String key, String feature) {
        return config.problem(key, feature + " is not available in this version of Ferry; remove the key");
    }
}
