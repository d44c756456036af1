package dev.ferry.cluster;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.LocalConfig;
import dev.ferry.runtime.Reloader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Follows the shared configuration in {@code <prefix>config}: reads it once, then watches it from the next revision,
 * and applies every new value through the {@link Reloader} (the path SIGHUP takes), so a bad value is refused whole
 * and nothing changes, exactly as a bad reload. A missing or blank key is applied as an empty configuration (nothing
 * to serve), never skipped. After a compaction (the watch's start revision is gone), a cancelled watch or a lost
 * connection it reads again and watches again, waiting a capped exponential back-off (100 ms doubling to 5 s) between
 * failed attempts; meanwhile the instance keeps what it runs and {@link ClusterState} says etcd is unreachable.
 * Each outcome goes to {@link Membership#status} (the status key) and to {@link ClusterState}.
 *
 * <p>Threading: one daemon thread of its own ({@code ferry-config-watch}) reads, watches and applies; {@link
 * #resync} and {@link #close} may come from any thread.
 */
public final class ConfigSource implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigSource.class);

    /** The key's value as last seen: present with its mod revision, or absent/blank at a revision. */
    private record Seen(boolean empty, long modRevision) {
    }

    private final EtcdClient client;
    private final LocalConfig local;
    private final String key;
    private final ClusterState state;
    private final Membership membership;
    private final Reloader reloader;
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random());
    private final Waiter waiter = new Waiter();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean forced;
    private volatile EtcdWatch watch;
    private Seen seen;

    /**
     * @param initialRevision the mod revision of the value the instance started with (0: the key was missing or
     *                        etcd unreachable), so it is not applied twice
     */
    public ConfigSource(EtcdClient client, LocalConfig local, ClusterState state, Membership membership,
                        Reloader reloader, long initialRevision, boolean initialEmpty) {
        this.client = client;
        this.local = local;
        this.key = local.etcd().configKey();
        this.state = state;
        this.membership = membership;
        this.reloader = reloader;
        this.seen = initialRevision == 0 && !initialEmpty ? null
                : new Seen(initialEmpty, initialEmpty ? -1 : initialRevision);
        this.thread = Thread.ofPlatform().daemon().name("ferry-config-watch").unstarted(this::run);
    }

    /**
     * Reads the key once, for the configuration to start with; never throws: etcd unreachable or a bad value give
     * the empty configuration, recorded in {@code state} (and a bad value's problems) so the status says so.
     */
    public static Initial readInitial(EtcdClient client, LocalConfig local, ClusterState state) {
        String key = local.etcd().configKey();
        try {
            EtcdClient.Range r = client.get(key);
            state.reachable();
            Optional<EtcdClient.KeyValue> kv = r.first();
            long rev = kv.map(EtcdClient.KeyValue::modRevision).orElse(r.revision());
            try {
                FerryConfig config = SharedConfig.effective(local, kv);
                state.applied(rev, SharedConfig.isEmpty(kv));
                if (SharedConfig.isEmpty(kv)) {
                    log.warn("cluster: {} is {} at revision {}: nothing to serve until it is set", key,
                            kv.isEmpty() ? "missing" : "empty", rev);
                }
                return new Initial(config, rev, SharedConfig.isEmpty(kv), List.of());
            } catch (ConfigException e) {
                List<String> problems = e.problems().stream().map(ConfigProblem::toString).toList();
                log.warn("cluster: the configuration in {} (revision {}) is refused; starting with nothing to serve:"
                        + "\n  {}", key, rev, String.join("\n  ", problems));
                state.refused(rev, problems);
                return new Initial(local.empty(SharedConfig.source(key)), rev, false, problems);
            }
        } catch (EtcdException e) {
            log.warn("cluster: {}; starting with nothing to serve, the configuration follows when etcd answers",
                    e.getMessage());
            state.unreachable(e.getMessage());
            return new Initial(local.empty(SharedConfig.source(key)), 0, false, List.of());
        }
    }

    /**
     * The configuration to start with.
     *
     * @param revision the mod revision it came from (0: etcd was unreachable)
     * @param empty    the key was missing or blank
     * @param problems why the value in etcd was refused (empty when it was not)
     */
    public record Initial(FerryConfig config, long revision, boolean empty, List<String> problems) {
    }

    public void start() {
        thread.start();
    }

    /** Reads the key again and applies it even if it did not change (SIGHUP in cluster mode). */
    public void resync() {
        forced = true;
        kick();
    }

    /** Drops the current watch so the loop reads again (etcd stopped answering keep-alives). */
    public void kick() {
        EtcdWatch w = watch;
        if (w != null) {
            w.close();
        }
        waiter.wake();
    }

    private void run() {
        int failures = 0;
        while (running) {
            try {
                EtcdClient.Range r = client.get(key);
                state.reachable();
                if (failures > 0) {
                    log.info("cluster: etcd answers again; reading {} at revision {}", key, r.revision());
                }
                failures = 0;
                Optional<EtcdClient.KeyValue> kv = r.first();
                consider(kv, kv.map(EtcdClient.KeyValue::modRevision).orElse(r.revision()));
                follow(r.revision() + 1);
            } catch (EtcdException e) {
                if (!running) {
                    break;
                }
                if (e.getMessage().equals(EtcdWatch.CLOSED)) {
                    continue; // our own kick or resync: read again at once
                }
                if (failures == 0) {
                    log.warn("cluster: {}; keeping the configuration in force (revision {}), reading again",
                            e.getMessage(), state.revisionApplied());
                }
                state.unreachable(e.getMessage());
                waiter.await(backoff.delay(failures++));
            }
        }
    }

    /** Watches from {@code from} until the watch must be re-established (then returns) or breaks (then throws). */
    private void follow(long from) throws EtcdException {
        try (EtcdWatch w = client.watch(key, from)) {
            watch = w;
            if (!running) {
                return;
            }
            while (running) {
                EtcdWatch.Response response = w.next();
                if (response.compactRevision() > 0) {
                    log.info("cluster: revision {} of {} was compacted (oldest kept: {}); reading again", from, key,
                            response.compactRevision());
                    return;
                }
                if (response.canceled()) {
                    log.info("cluster: etcd cancelled the watch on {}; reading again", key);
                    return;
                }
                if (!response.events().isEmpty()) {
                    EtcdWatch.Event last = response.events().getLast();
                    consider(last.deleted() ? Optional.empty() : Optional.of(last.kv()), last.kv().modRevision());
                }
                if (forced) {
                    return;
                }
            }
        } finally {
            watch = null;
        }
    }

    private void consider(Optional<EtcdClient.KeyValue> kv, long revision) {
        boolean empty = SharedConfig.isEmpty(kv);
        Seen now = new Seen(empty, empty ? -1 : revision);
        Seen before = seen;
        if (now.equals(before) && !forced) {
            return;
        }
        forced = false;
        seen = new Seen(empty, empty ? -1 : revision);
        Reloader.Outcome o = reloader.apply("etcd " + key + " at revision " + revision,
                () -> SharedConfig.effective(local, kv));
        if (o.applied()) {
            state.applied(revision, empty);
            if (empty) {
                log.warn("cluster: {} is {} (revision {}): applied an empty configuration, nothing to serve", key,
                        kv.isEmpty() ? "deleted" : "empty", revision);
            }
            membership.status(revision, ClusterState.Result.APPLIED, List.of());
        } else {
            state.refused(revision, o.problems());
            membership.status(revision, ClusterState.Result.REFUSED, o.problems());
        }
    }

    @Override
    public void close() {
        running = false;
        kick();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
