package dev.ferry;

import dev.ferry.cluster.ClusterNode;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.LocalConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

/** {@code ferry run -c FILE}: runs a configuration until SIGTERM or Ctrl-C. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Run the configuration in FILE until stopped (SIGTERM or Ctrl-C).")
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "ferry.yaml",
            description = "the configuration file (default: ${DEFAULT-VALUE})")
    Path file;

    @Option(names = "--threads", paramLabel = "N",
            description = "event-loop threads (default: one per core)")
    Integer threads;

    @Override
    public Integer call() {
        if (ConfigLoader.isLocal(file)) {
            return runClustered();
        }
        FerryConfig config;
        try {
            config = ConfigLoader.load(file);
            StartupChecks.verify(config);
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                System.err.println(p);
            }
            return Ferry.EXIT_CONFIG;
        }
        return new Service(config, file, threads).runUntilStopped(null);
    }

    /** A local file with config_source: the shared configuration comes from etcd and follows it. */
    private int runClustered() {
        ClusterNode node;
        FerryConfig config;
        try {
            LocalConfig local = ConfigLoader.loadLocal(file);
            node = new ClusterNode(local, Clock.systemUTC());
            config = node.initial();
            StartupChecks.verify(config);
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                System.err.println(p);
            }
            return Ferry.EXIT_CONFIG;
        }
        return new Service(config, file, threads, node).runUntilStopped(null);
    }
}
