package dev.ferry;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.LocalConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ferry validate -c FILE}: prints every problem, exit 1 if there is any: the file's own and every one
 * {@code ferry run} would refuse at start short of binding ports ({@link StartupChecks}).
 */
@Command(name = "validate", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Check a configuration file and print every problem found.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "ferry.yaml",
            description = "the configuration file (default: ${DEFAULT-VALUE})")
    Path file;

    @Override
    public Integer call() {
        try {
            if (ConfigLoader.isLocal(file)) {
                LocalConfig local = ConfigLoader.loadLocal(file);
                StartupChecks.verify(local.empty(file));
                new dev.ferry.cluster.ClusterNode(local, java.time.Clock.systemUTC()); // as run: the etcd TLS files load
                System.out.printf("%s: ok (instance %s; the shared configuration comes from etcd %s at %s; check "
                                + "a file before pushing it with 'ferry validate -c FILE')%n", file, local.instance(),
                        local.etcd().configKey(), local.etcd().endpoints().stream().map(Object::toString)
                                .collect(java.util.stream.Collectors.joining(", ")));
                return Ferry.EXIT_OK;
            }
            var config = ConfigLoader.load(file);
            StartupChecks.verify(config);
            System.out.printf("%s: ok (%d frontend(s), %d backend(s))%n", file, config.frontends().size(),
                    config.backends().size());
            return Ferry.EXIT_OK;
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                System.err.println(p);
            }
            System.err.printf("%s: %d problem(s)%n", file, e.problems().size());
            return Ferry.EXIT_CONFIG;
        }
    }
}
