package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerOutcomes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passive health for one backend (key {@code outlier}): a server that fails {@code consecutive_failures} times in a
 * row is taken out of the backend's snapshot for a while, as decided by its {@link EjectionPolicy}, then let back in
 * (where slow start, if configured, ramps it up again).
 *
 * <p>Proxies report outcomes through {@link Server#recordSuccess()} and {@link Server#recordFailure()}, which reach
 * this detector as the backend's {@link ServerOutcomes}: at layer 4 a connect success or failure and a reset from the
 * server; at layer 7, a response other than 5xx, or a 5xx or broken exchange. {@link #succeeded} and {@link #failed}
 * may also be called directly.
 *
 * <p>Threading: {@link #succeeded} and {@link #failed} are called from any event loop and only count (lock-free);
 * ejections and returns run on the timeline's thread (an ejection takes this detector's lock, then the backend's).
 */
public final class OutlierDetector implements ServerOutcomes {
    private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

    /** Per server: the current run of failures and the ejection history. History fields are guarded by the detector. */
    private static final class Record {
        final AtomicInteger streak = new AtomicInteger();
        int offences;
        long ejectedUntil;
        long returnedAt;
        boolean ejected;
        /** The cap kept this server in and that was logged; cleared by a success or an ejection. */
        volatile boolean heldIn;
    }

    private final Backend backend;
    private final EjectionPolicy policy;
    private final Timeline timeline;
    private final HealthStats stats;
    private final PeriodicTask returns;
    private final Map<Server, Record> records = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    public OutlierDetector(Backend backend, EjectionPolicy policy, Timeline timeline, HealthStats stats) {
        this.backend = backend;
        this.policy = policy;
        this.timeline = timeline;
        this.stats = stats;
        this.returns = new PeriodicTask(timeline, this::step);
    }

    /** Starts hearing the backend's outcomes. */
    public void start() {
        backend.setOutcomes(this);
    }

    /**
     * Stops hearing outcomes (the balancer stops, or a reload replaces this backend's health checking) and lets every
     * server it ejected back in, on the timeline's thread after any ejection already under way. A detector that
     * follows starts counting afresh.
     */
    public void stop() {
        stopped = true;
        if (backend.outcomes() == this) {
            backend.setOutcomes(ServerOutcomes.NONE);
        }
        returns.stop();
        timeline.execute(this::returnAll);
    }

    private synchronized void returnAll() {
        records.forEach((server, r) -> {
            if (r.ejected) {
                r.ejected = false;
                backend.setEjected(server, false);
            }
        });
    }

    @Override
    public void succeeded(Server server) {
        Record r = records.get(server);
        if (r != null) {
            r.streak.set(0);
            r.heldIn = false;
        }
    }

    @Override
    public void failed(Server server) {
        Record r = records.computeIfAbsent(server, s -> new Record());
        int streak = r.streak.incrementAndGet();
        if (streak == policy.consecutiveFailures()) {
            // Ejecting rebuilds the backend: that happens on the timeline's thread, not on the proxy's event loop.
            timeline.execute(() -> eject(server, r, streak));
        }
    }

    /** True while the server is ejected by this detector. */
    public synchronized boolean isEjected(Server server) {
        Record r = records.get(server);
        return r != null && r.ejected;
    }

    /**
     * How long the server's ejection still lasts, in nanoseconds on the timeline's clock; -1 when this detector has not
     * ejected it. An ejection whose end has come but whose return is still to run reports 0. Callable from any thread.
     */
    public synchronized long ejectionRemainingNanos(Server server) {
        Record r = records.get(server);
        if (r == null || !r.ejected) {
            return -1;
        }
        return Math.max(0, r.ejectedUntil - timeline.nanoTime());
    }

    private void eject(Server server, Record r, int streak) {
        long now = timeline.nanoTime();
        long duration;
        synchronized (this) {
            if (stopped || r.ejected || r.streak.get() < policy.consecutiveFailures()) {
                return; // another event loop got here first, or a success came in between
            }
            r.streak.set(0);
            int ejectedNow = (int) records.values().stream().filter(x -> x.ejected).count();
            int servers = backend.servers().size();
            if (!policy.mayEject(ejectedNow, servers)) {
                if (r.heldIn) {
                    return;
                }
                r.heldIn = true;
                log.warn("backend '{}': server '{}' failed {} times in a row but stays in: {} of {} servers are "
                                + "ejected already and at most {}% may be", backend.name(), server.name(), streak,
                        ejectedNow, servers, policy.maxEjectedPercent());
                return;
            }
            r.offences = policy.nextOffences(r.offences, r.offences == 0 ? 0 : now - r.returnedAt);
            duration = policy.durationNanos(r.offences);
            r.ejected = true;
            r.heldIn = false;
            r.ejectedUntil = now + duration;
            stats.of(server).ejected();
            backend.setEjected(server, true);
        }
        log.warn("backend '{}': server '{}' ejected for {} ms after {} failures in a row (offence {})", backend.name(),
                server.name(), TimeUnit.NANOSECONDS.toMillis(duration), streak, r.offences);
        returns.start(0);
    }

    /**
     * Lets every server whose ejection has ended back in.
     *
     * @return nanoseconds until the next ejection ends, or {@link PeriodicTask#DONE} when none is ejected
     */
    public long step(long nowNanos) {
        long next = Long.MAX_VALUE;
        synchronized (this) {
            for (Map.Entry<Server, Record> e : records.entrySet()) {
                Record r = e.getValue();
                if (!r.ejected) {
                    continue;
                }
                if (r.ejectedUntil <= nowNanos) {
                    r.ejected = false;
                    r.returnedAt = nowNanos;
                    r.streak.set(0);
                    backend.setEjected(e.getKey(), false);
                    log.info("backend '{}': server '{}' returns from ejection", backend.name(), e.getKey().name());
                } else {
                    next = Math.min(next, r.ejectedUntil - nowNanos);
                }
            }
        }
        return next == Long.MAX_VALUE ? PeriodicTask.DONE : next;
    }
}
