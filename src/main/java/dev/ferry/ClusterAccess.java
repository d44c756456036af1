package dev.ferry;

import dev.ferry.cluster.EtcdClient;
import dev.ferry.cluster.EtcdException;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.LocalConfig;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What the {@code ferry config} and {@code ferry cluster} commands share: reading the local file and opening the etcd
 * client it names, with the exit codes of those commands (0 ok, 1 refused, 2 etcd unreachable).
 */
final class ClusterAccess {
    /** A failure already printed, carrying the exit code. */
    static final class Exit extends Exception {
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    private ClusterAccess() {
    }

    static LocalConfig local(Path file, PrintStream err) throws Exit {
        try {
            if (!ConfigLoader.isLocal(file)) {
                ConfigLoader.loadLocal(file); // reports an unreadable file as such
                err.println(file + ": has no config_source: (this command needs an instance's local file, which "
                        + "says where etcd is)");
                throw new Exit(Ferry.EXIT_CONFIG);
            }
            return ConfigLoader.loadLocal(file);
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                err.println(p);
            }
            throw new Exit(Ferry.EXIT_CONFIG);
        }
    }

    static EtcdClient client(LocalConfig local, PrintStream err) throws Exit {
        try {
            return new EtcdClient(local.etcd());
        } catch (EtcdException e) {
            err.println("ferry: " + e.getMessage());
            throw new Exit(Ferry.EXIT_CONFIG);
        }
    }

    /** Prints an etcd failure and returns the exit code for it. */
    static int failed(EtcdException e, PrintStream err) {
        err.println("ferry: " + e.getMessage());
        return e.unreachable() ? Ferry.EXIT_RUNTIME : Ferry.EXIT_CONFIG;
    }
}
