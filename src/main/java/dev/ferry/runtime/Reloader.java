package dev.ferry.runtime;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.director.DeviceUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.nio.file.Path;
import java.util.List;

/**
 * Re-reads the configuration file and applies it to the running {@link Balancer} (SIGHUP and
 * {@code POST /api/v1/reload}). The new file is validated first: a bad file changes nothing, and its problems are
 * logged and returned.
 *
 * <p>Threading: blocking (file read, name resolution, binds); call off the event loops. Reloads are serialised.
 */
public final class Reloader {
    private static final Logger log = LoggerFactory.getLogger(Reloader.class);

    /**
     * The result of one reload.
     *
     * @param applied  true when the new configuration is now in force
     * @param changes  what changed (when applied)
     * @param problems why nothing changed (when not applied), one line each
     */
    public record Outcome(boolean applied, List<String> changes, List<String> problems) {
    }

    /** Where a reload gets the next configuration from (a file, etcd). Blocking. */
    @FunctionalInterface
    public interface Loader {
        FerryConfig load() throws ConfigException;
    }

    private final Balancer balancer;
    private final Object file;
    private final Loader loader;

    /** @param file the configuration file to re-read, or null when the configuration is embedded (the demo) */
    public Reloader(Balancer balancer, Path file) {
        this.balancer = balancer;
        this.file = file;
        this.loader = file == null ? null : () -> ConfigLoader.load(file);
    }

    /**
     * A reloader that takes the next configuration from {@code loader} (the etcd source), named {@code what} in
     * the log.
     */
    public Reloader(Balancer balancer, String what, Loader loader) {
        this.balancer = balancer;
        this.file = what;
        this.loader = loader;
    }

    /**
     * Applies the configuration {@code next} gives, exactly as a reload does (validated, refused whole, logged,
     * access log reopened), naming it {@code what} in the log; serialised with {@link #reload()}.
     */
    public synchronized Outcome apply(String what, Loader next) {
        try {
            return applyFrom(what, next);
        } finally {
            balancer.reopenAccessLog();
        }
    }

    /**
     * Re-reads the file and applies it; then, whatever the outcome, reopens the access log by its name, so that
     * a reload after a log rotation writes to the new file.
     */
    public synchronized Outcome reload() {
        try {
            return applyFrom(file, loader);
        } finally {
            balancer.reopenAccessLog();
        }
    }

    private Outcome applyFrom(Object file, Loader loader) {
        if (loader == null) {
            log.info("reload: this configuration is embedded (no file to re-read); nothing changed");
            return new Outcome(false, List.of(), List.of("the configuration is embedded: there is no file to re-read"));
        }
        try {
            FerryConfig next = loader.load();
            ReloadReport report = balancer.reload(next);
            log.info("reload of {}: {}", file, report);
            return new Outcome(true, report.changes(), List.of());
        } catch (ConfigException e) {
            List<String> problems = e.problems().stream().map(ConfigProblem::toString).toList();
            log.warn("reload of {} refused, nothing changed:\n  {}", file, String.join("\n  ", problems));
            return new Outcome(false, List.of(), problems);
        } catch (BindException | DeviceUnavailableException e) {
            log.warn("reload of {} refused, nothing changed: {}", file, e.getMessage());
            return new Outcome(false, List.of(), List.of(e.getMessage()));
        }
    }
}
