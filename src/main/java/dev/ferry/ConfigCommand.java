package dev.ferry;

import dev.ferry.cluster.EtcdClient;
import dev.ferry.cluster.EtcdException;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.LocalConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code ferry config push|get -c LOCAL}: the shared configuration in etcd ({@code <prefix>config}). Exit codes: 0
 * done, 1 refused (a bad file, a concurrent change, a bad local file), 2 etcd unreachable.
 */
@Command(name = "config", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Read or write the shared configuration in etcd.",
        subcommands = {ConfigCommand.Push.class, ConfigCommand.Get.class})
final class ConfigCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "push", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Validate FILE as 'ferry validate' does, then write it to etcd with a compare-and-swap, so "
                    + "a change made meanwhile by someone else is never overwritten.")
    static final class Push implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "LOCAL", defaultValue = "ferry.yaml",
                description = "the instance's local file, which says where etcd is (default: ${DEFAULT-VALUE})")
        Path localFile;

        @Option(names = "--revision", paramLabel = "N",
                description = "write only if the configuration in etcd is still at revision N (as 'ferry config "
                        + "get' printed it; 0: only if it is not set); default: the revision read just before writing")
        Long revision;

        @Parameters(paramLabel = "FILE", description = "the shared configuration to write")
        Path file;

        @Override
        public Integer call() {
            try {
                LocalConfig local = ClusterAccess.local(localFile, System.err);
                byte[] bytes = validated(file);
                EtcdClient client = ClusterAccess.client(local, System.err);
                String key = local.etcd().configKey();
                try {
                    Optional<EtcdClient.KeyValue> now = client.get(key).first();
                    long current = now.map(EtcdClient.KeyValue::modRevision).orElse(0L);
                    long expected = revision == null ? current : revision;
                    if (expected == current && now.isPresent() && Arrays.equals(now.get().value(), bytes)) {
                        System.out.printf("%s: unchanged; %s is already this at revision %d%n", file, key, current);
                        return Ferry.EXIT_OK;
                    }
                    EtcdClient.CasResult r = client.putIfUnchanged(key, bytes, expected);
                    if (!r.succeeded()) {
                        System.err.printf("ferry: refused: %s was changed by someone else at revision %d (you had "
                                        + "revision %d); get it with 'ferry config get', merge your change and retry%n",
                                key, r.currentModRevision(), expected);
                        return Ferry.EXIT_CONFIG;
                    }
                    System.out.printf("%s: pushed to %s at revision %d%n", file, key, r.revision());
                    return Ferry.EXIT_OK;
                } catch (EtcdException e) {
                    return ClusterAccess.failed(e, System.err);
                }
            } catch (ClusterAccess.Exit e) {
                return e.code;
            }
        }

        /** The file's bytes if {@code ferry validate} accepts it as a shared configuration; else prints why. */
        private static byte[] validated(Path file) throws ClusterAccess.Exit {
            try {
                FerryConfig config = ConfigLoader.load(file);
                StartupChecks.verify(config);
                Optional<ConfigProblem> admin = LocalConfig.sharedProblem(config);
                if (admin.isPresent()) {
                    throw new ConfigException(java.util.List.of(admin.get()));
                }
                return Files.readAllBytes(file);
            } catch (ConfigException e) {
                for (ConfigProblem p : e.problems()) {
                    System.err.println(p);
                }
                System.err.printf("%s: %d problem(s); nothing was written%n", file, e.problems().size());
                throw new ClusterAccess.Exit(Ferry.EXIT_CONFIG);
            } catch (IOException e) {
                System.err.println("ferry: cannot read " + file + ": " + e.getMessage());
                throw new ClusterAccess.Exit(Ferry.EXIT_CONFIG);
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Print the shared configuration in etcd, after a comment line with its revision (give that "
                    + "to 'ferry config push --revision').")
    static final class Get implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "LOCAL", defaultValue = "ferry.yaml",
                description = "the instance's local file, which says where etcd is (default: ${DEFAULT-VALUE})")
        Path localFile;

        @Override
        public Integer call() {
            try {
                LocalConfig local = ClusterAccess.local(localFile, System.err);
                EtcdClient client = ClusterAccess.client(local, System.err);
                String key = local.etcd().configKey();
                try {
                    EtcdClient.Range r = client.get(key);
                    if (r.first().isEmpty()) {
                        System.err.printf("ferry: %s is not set (etcd revision %d); write it with 'ferry config "
                                + "push'%n", key, r.revision());
                        return Ferry.EXIT_CONFIG;
                    }
                    EtcdClient.KeyValue kv = r.first().get();
                    String text = kv.text();
                    System.out.printf("# %s revision %d%n%s%s", key, kv.modRevision(), text,
                            text.endsWith("\n") || text.isEmpty() ? "" : "\n");
                    return Ferry.EXIT_OK;
                } catch (EtcdException e) {
                    return ClusterAccess.failed(e, System.err);
                }
            } catch (ClusterAccess.Exit e) {
                return e.code;
            }
        }
    }
}
