package dev.ferry.runtime;

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
        for (int i = 0; i < config.frontends().size(); i++) {
            FrontendConfig f = config.frontends().get(i);
            String at = "frontends[" + i + "]";
            if (f.mode() == Mode.UDP) {
                problems.add(config.problem(at + ".mode", "mode " + f.mode().key()
                        + " is not available in this version; frontends can use mode tcp or http"));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
