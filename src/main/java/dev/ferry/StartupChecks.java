package dev.ferry;

import dev.ferry.admin.AdminServer;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.transport.TlsHandshakeFailures;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Every check start-up makes short of binding ports, in one place, so that {@code ferry validate} and
 * {@code ferry run} refuse the same files with the same words: certificates, keys and passphrase files that cannot be
 * used (or do not belong together), also those of the backends' {@code tls:}, the admin listener's token rules, an
 * access log that cannot be opened. The checks are the ones start-up itself runs ({@link Balancer#loadTls},
 * {@link Balancer#loadBackendTls}, {@link AdminServer#problems},
 * {@link Balancer#accessLogProblem}); {@code ferry run} runs this first and starts nothing when it finds a problem.
 *
 * <p>Blocking (file reads, name lookups); stateless.
 */
final class StartupChecks {
    private StartupChecks() {
    }

    /** Every problem found, sorted as the loader sorts its own (by line, then column). */
    static List<ConfigProblem> problems(FerryConfig config) {
        List<ConfigProblem> found = new ArrayList<>();
        for (FrontendConfig fc : config.frontends()) {
            if (fc.tls().isPresent()) {
                try {
                    Balancer.loadTls(config, fc, new TlsHandshakeFailures(fc.name()));
                } catch (ConfigException e) {
                    found.addAll(e.problems());
                }
            }
        }
        for (dev.ferry.config.BackendConfig bc : config.backends()) {
            try {
                Balancer.loadBackendTls(config, bc, new dev.ferry.transport.UpstreamTlsFailures(bc.name()));
            } catch (ConfigException e) {
                found.addAll(e.problems());
            }
        }
        found.addAll(AdminServer.problems(config));
        Balancer.accessLogProblem(config).ifPresent(found::add);
        found.sort(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column));
        return found;
    }

    /** @throws ConfigException with every problem, when there is any */
    static void verify(FerryConfig config) throws ConfigException {
        List<ConfigProblem> found = problems(config);
        if (!found.isEmpty()) {
            throw new ConfigException(found);
        }
    }
}
