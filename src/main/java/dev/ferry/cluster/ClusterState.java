package dev.ferry.cluster;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this instance knows of its cluster, for {@code GET /api/v1/status} ({@code cluster}) and the metrics: whether
 * etcd answers, the configuration revision applied and the last outcome, the last error.
 *
 * <p>Threading: written by the configuration source's and the membership's threads, read by any; each field is
 * volatile and the report is a snapshot of them.
 */
public final class ClusterState {
    /** The outcome of the last configuration seen. */
    public enum Result { NONE, APPLIED, REFUSED }

    /**
     * The {@code cluster} section of the status report.
     *
     * @param instance        this instance's name
     * @param etcdReachable   whether the last call to etcd got an answer
     * @param configKey       the etcd key of the shared configuration
     * @param revisionApplied the etcd revision (mod revision of the key) of the configuration running; 0 = none yet
     * @param revisionSeen    the revision of the last configuration seen (differs when it was refused)
     * @param result          applied, refused or none
     * @param problems        why the last one was refused
     * @param empty           the key is missing or empty, so the instance serves nothing
     * @param lastError       the last etcd failure, null when none since the last success
     * @param lastErrorAt     when it happened (ISO-8601), null with it
     */
    public record Report(String instance, boolean etcdReachable, String configKey, long revisionApplied,
                         long revisionSeen, String result, List<String> problems, boolean empty, String lastError,
                         String lastErrorAt) {
    }

    private final String instance;
    private final String configKey;
    private final Clock clock;
    private volatile boolean reachable;
    private volatile long applied;
    private volatile long seen;
    private volatile Result result = Result.NONE;
    private volatile List<String> problems = List.of();
    private volatile boolean empty;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private final AtomicLong refused = new AtomicLong();

    public ClusterState(String instance, String configKey, Clock clock) {
        this.instance = instance;
        this.configKey = configKey;
        this.clock = clock;
    }

    void reachable() {
        reachable = true;
        lastError = null;
        lastErrorAt = null;
    }

    void unreachable(String error) {
        reachable = false;
        lastError = error;
        lastErrorAt = clock.instant();
    }

    void applied(long revision, boolean isEmpty) {
        applied = revision;
        seen = revision;
        result = Result.APPLIED;
        problems = List.of();
        empty = isEmpty;
    }

    void refused(long revision, List<String> why) {
        seen = revision;
        result = Result.REFUSED;
        problems = List.copyOf(why);
        refused.incrementAndGet();
    }

    public String instance() {
        return instance;
    }

    public boolean etcdReachable() {
        return reachable;
    }

    public long revisionApplied() {
        return applied;
    }

    public long revisionSeen() {
        return seen;
    }

    public Result result() {
        return result;
    }

    public List<String> problems() {
        return problems;
    }

    /** Configurations refused since start (metric {@code ferry_cluster_config_refused_total}). */
    public long refusedTotal() {
        return refused.get();
    }

    public Report report() {
        Instant at = lastErrorAt;
        return new Report(instance, reachable, configKey, applied, seen, result.name().toLowerCase(java.util.Locale.ROOT),
                problems, empty, lastError, at == null ? null : at.toString());
    }
}
