package dev.ferry.backend;

import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.config.ProxyProtocolVersion;
import dev.ferry.config.UpstreamProtocol;
import dev.ferry.schedule.Member;
import dev.ferry.schedule.PeakEwma;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One real server of a backend and its live state.
 *
 * <p>Counters follow IPVS: <em>active</em> = connections in data transfer (for http, requests in flight);
 * <em>inactive</em> = connections that are connecting, half-closed or otherwise not transferring data.
 * {@link #overhead()} is {@code active*256 + inactive}. The overload flag is kept as IPVS does on bind and unbind:
 * set when a new connection brings {@code active+inactive} to the upper threshold ({@code max_connections}),
 * cleared on unbind below the lower threshold (or below 75% of the upper one when no lower threshold is set).
 *
 * <p>Threading: counters are atomics, read and written from any event loop. {@link #weight()} is the effective
 * weight the schedulers see; it is written only by the owning {@link Backend}, which then publishes a new snapshot.
 * Connections are accounted through {@link ConnectionLease}s, which keep the transitions exact.
 */
public final class Server implements Member {
    private final Backend backend;
    private final String name;
    private final InetSocketAddress address;
    private final Optional<ProxyProtocolVersion> sendProxy;

    /** What http frontends speak to this server, overriding its backend's; null: the backend's. */
    private volatile UpstreamProtocol protocol;
    /** A director's forwarding method for this server, overriding its service's; null: the service's. */
    private volatile Forwarding forwarding;
    private volatile int configuredWeight;
    private volatile int weight;
    private volatile int upperThreshold;
    private volatile int lowerThreshold;
    private volatile ServerState state = ServerState.READY;
    private volatile boolean healthy = true;
    private volatile boolean ejected;
    private volatile double slowStartShare = 1.0;
    private volatile double feedbackFactor = 1.0;
    private volatile boolean overloaded;
    /** {@code backup: true}: offered only while no primary of the backend is usable ({@link BackupSelection}). */
    private volatile boolean backup;
    /** Position in the backend's current snapshot (list order), or -1 when not a member. */
    private volatile int index = -1;

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger inactive = new AtomicInteger();
    private final LongAdder totalConnections = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final PeakEwma latency = new PeakEwma(PeakEwma.DEFAULT_DECAY_NANOS);
    private final RequestStats requests = new RequestStats();

    Server(Backend backend, String name, InetSocketAddress address, int configuredWeight, int maxConnections,
           Optional<ProxyProtocolVersion> sendProxy) {
        this.backend = backend;
        this.name = name;
        this.address = address;
        this.configuredWeight = configuredWeight;
        this.weight = configuredWeight;
        this.upperThreshold = maxConnections;
        this.sendProxy = sendProxy;
    }

    /**
     * A server that belongs to no backend, for scheduler tests and tools: counters work, load changes notify nobody.
     */
    public static Server detached(String name, int weight) {
        return new Server(null, name, InetSocketAddress.createUnresolved(name, 0), weight, 0, Optional.empty());
    }

    /** As {@link #detached(String, int)}, at a given address (schedulers that hash server addresses: mh). */
    public static Server detached(String name, InetSocketAddress address, int weight) {
        return new Server(null, name, address, weight, 0, Optional.empty());
    }

    public Backend backend() {
        return backend;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    public Optional<ProxyProtocolVersion> sendProxy() {
        return sendProxy;
    }

    /**
     * How a director's new connections reach this server when not as their service says ({@code servers[].forwarding},
     * as {@code ipvsadm} sets it per real server); null when the service decides. Connections already tracked keep
     * the method they started with.
     */
    public Forwarding forwarding() {
        return forwarding;
    }

    /**
     * What http frontends speak to this server ({@code servers[].protocol}, else the backend's {@code protocol}); a
     * change applies to new requests, connections already open carry on as they are.
     */
    public UpstreamProtocol protocol() {
        UpstreamProtocol p = protocol;
        if (p != null) {
            return p;
        }
        return backend != null ? backend.config().protocol() : UpstreamProtocol.HTTP_1_1;
    }

    /** Set by the backend from the configuration (at start, reload and add); null: the backend's. */
    void setProtocol(UpstreamProtocol protocol) {
        this.protocol = protocol;
    }

    /** Set by the backend from the configuration (at start, reload and add). */
    void setForwarding(Forwarding forwarding) {
        this.forwarding = forwarding;
    }

    /**
     * The effective weight the schedulers use now: configured weight x slow-start share x feedback factor (see
     * {@link Backend}), 0 while draining.
     */
    @Override
    public int weight() {
        return weight;
    }

    /** Sets the effective weight; for {@link Backend} and tests that drive schedulers directly. */
    public void setWeight(int weight) {
        this.weight = weight;
    }

    public int configuredWeight() {
        return configuredWeight;
    }

    void setConfiguredWeight(int configuredWeight) {
        this.configuredWeight = configuredWeight;
    }

    public ServerState state() {
        return state;
    }

    void setState(ServerState state) {
        this.state = state;
    }

    public boolean healthy() {
        return healthy;
    }

    void setHealthy(boolean healthy) {
        this.healthy = healthy;
    }

    /** True while passive health (outlier ejection) keeps the server out of the snapshot. */
    public boolean ejected() {
        return ejected;
    }

    void setEjected(boolean ejected) {
        this.ejected = ejected;
    }

    /** The share of its weight a server gets while it slowly starts, in (0, 1]; 1 when not ramping. */
    public double slowStartShare() {
        return slowStartShare;
    }

    void setSlowStartShare(double share) {
        this.slowStartShare = share;
    }

    /**
     * The factor dynamic feedback (or an agent's {@code NN%} reply) applies to the configured weight, {@code >= 0};
     * 1 when no feedback is in effect, 0 when the server's agent stopped answering or asked to drain.
     */
    public double feedbackFactor() {
        return feedbackFactor;
    }

    void setFeedbackFactor(double factor) {
        this.feedbackFactor = factor;
    }

    /** Whether this is a backup server ({@code backup: true}), offered only while no primary is usable. */
    public boolean backup() {
        return backup;
    }

    /** Set by the backend from the configuration (at start, reload and add). */
    void setBackup(boolean backup) {
        this.backup = backup;
    }

    /** True when the server may be offered to schedulers at all (a member of the snapshot). */
    boolean isMember() {
        return healthy && !ejected && state != ServerState.MAINT;
    }

    @Override
    public int index() {
        return index;
    }

    /**
     * Whether a director's persistence template may still send new connections here: a member of its backend's
     * snapshot (in the backend, healthy, not ejected, not in maintenance). A drained server keeps its persistent
     * clients, as a quiesced IPVS server (weight 0) does.
     */
    public boolean takesPersistentClients() {
        return index >= 0 && isMember();
    }

    void setIndex(int index) {
        this.index = index;
    }

    /** Upper connection threshold (IPVS {@code u_threshold}, Ferry's {@code max_connections}); 0 = none. */
    public int upperThreshold() {
        return upperThreshold;
    }

    /** Lower threshold (IPVS {@code l_threshold}); 0 = none, then the flag clears below 75% of the upper one. */
    public int lowerThreshold() {
        return lowerThreshold;
    }

    /**
     * Sets both thresholds. As the kernel does when a server is updated ({@code __ip_vs_update_dest}), removing the
     * upper threshold (0) or raising it clears the overload flag at once, without waiting for a connection to end.
     */
    public void setThresholds(int upper, int lower) {
        boolean clear = overloaded && (upper == 0 || upper > upperThreshold);
        this.upperThreshold = upper;
        this.lowerThreshold = lower;
        if (clear) {
            overloaded = false;
            loadChanged();
        }
    }

    @Override
    public boolean isOverloaded() {
        return overloaded;
    }

    @Override
    public int active() {
        return active.get();
    }

    @Override
    public int inactive() {
        return inactive.get();
    }

    /** IPVS {@code ip_vs_dest_conn_overhead}: {@code active*256 + inactive}. */
    @Override
    public long overhead() {
        return ((long) active.get() << 8) + inactive.get();
    }

    public long totalConnections() {
        return totalConnections.sum();
    }

    public long failures() {
        return failures.sum();
    }

    public long bytesIn() {
        return bytesIn.sum();
    }

    public long bytesOut() {
        return bytesOut.sum();
    }

    /** Bytes received from this server. */
    public void addBytesIn(long n) {
        bytesIn.add(n);
    }

    /** Bytes sent to this server. */
    public void addBytesOut(long n) {
        bytesOut.add(n);
    }

    /**
     * Records how long the server took to answer (layer 7: request sent to response head; layer 4: connect time),
     * for the {@code ewma} scheduler. Any thread; lock-free.
     */
    public void recordLatencyNanos(long latencyNanos) {
        latency.record(latencyNanos, System.nanoTime());
    }

    /** The peak-EWMA of the recorded latencies, on the {@link System#nanoTime()} clock. */
    @Override
    public PeakEwma latency() {
        return latency;
    }

    /** The HTTP requests this server answered (or failed), by status class, and their durations. */
    public RequestStats requests() {
        return requests;
    }

    /**
     * Counts a failure to connect or a connection the server broke (layer 7: also a 5xx response or a broken
     * exchange), and tells the backend's passive health check. Any thread.
     */
    public void recordFailure() {
        failures.increment();
        if (backend != null) {
            backend.outcomes().failed(this);
        }
    }

    /**
     * Tells the backend's passive health check that the server served well (layer 4: a connect succeeded; layer 7: a
     * response other than 5xx), which ends a run of consecutive failures. Any thread.
     */
    public void recordSuccess() {
        if (backend != null) {
            backend.outcomes().succeeded(this);
        }
    }

    /**
     * Binds a new connection to this server (IPVS bind): counted as inactive until {@link ConnectionLease#activate()}.
     * Call right after the scheduler chose this server, before connecting.
     */
    public ConnectionLease open() {
        totalConnections.increment();
        int total = active.get() + inactive.incrementAndGet();
        int u = upperThreshold;
        if (u != 0 && total >= u) {
            overloaded = true;
        }
        loadChanged();
        return new ConnectionLease(this);
    }

    /**
     * Counts an HTTP/2 connection to this server that carries no stream now as inactive, as an idle HTTP/1 connection
     * is; not a new connection in the totals (its streams are, each through {@link #open()}).
     */
    public ConnectionLease openIdle() {
        inactive.incrementAndGet();
        loadChanged();
        return new ConnectionLease(this);
    }

    /** Directly sets counters, for scheduler tests that stage a load. */
    public void setLoad(int active, int inactive) {
        this.active.set(active);
        this.inactive.set(inactive);
        loadChanged();
    }

    /** Staged overload, for scheduler tests. */
    public void setOverloaded(boolean overloaded) {
        this.overloaded = overloaded;
    }

    void activeToInactive() {
        active.decrementAndGet();
        inactive.incrementAndGet();
        loadChanged();
    }

    void inactiveToActive() {
        inactive.decrementAndGet();
        active.incrementAndGet();
        loadChanged();
    }

    void unbind(boolean wasActive) {
        if (wasActive) {
            active.decrementAndGet();
        } else {
            inactive.decrementAndGet();
        }
        if (overloaded) {
            int total = active.get() + inactive.get();
            int l = lowerThreshold;
            int u = upperThreshold;
            if (l != 0) {
                if (total < l) {
                    overloaded = false;
                }
            } else if (u != 0) {
                if ((long) total * 4 < (long) u * 3) {
                    overloaded = false;
                }
            } else {
                overloaded = false;
            }
        }
        loadChanged();
        if (backend != null) {
            // One slot less in use: the backend's oldest queued request or connection, if any, may take it.
            BackendQueue queue = backend.queue();
            if (queue != null) {
                queue.slotFreed(this);
            }
        }
    }

    private void loadChanged() {
        if (backend != null) {
            backend.loadChanged(this);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
