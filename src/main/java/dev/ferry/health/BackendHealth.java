package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.transport.Transport;
import io.netty.util.concurrent.EventExecutor;

import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Everything that watches one backend's servers, as its configuration asks: an {@link ActiveCheck} per server
 * ({@code health_check}), an {@link OutlierDetector} ({@code outlier}) and {@link SlowStart} ({@code slow_start}).
 * Probes connect from the transport's I/O loops (round robin); everything that decides and changes the backend runs
 * on one control thread.
 *
 * <p>Threading: {@link #start} and {@link #stop} are called by the balancer, off the event loops; {@link #stats()}
 * from any thread.
 */
public final class BackendHealth {
    private final Backend backend;
    private final HealthStats stats;
    private OutlierDetector outliers;
    private SlowStart slowStart;
    private ActiveChecks active;

    private BackendHealth(Backend backend, HealthStats stats) {
        this.backend = backend;
        this.stats = stats;
    }

    /**
     * Starts what the backend's configuration asks for (possibly nothing).
     *
     * @param control the single thread on which checks decide and the backend is changed (not an I/O event loop)
     * @param stats   where the counts go: pass the same object again when a reload restarts the checks
     */
    public static BackendHealth start(Backend backend, Transport transport, EventExecutor control,
                                      HealthStats stats) {
        Timeline timeline = new EventLoopTimeline(control);
        BackendHealth h = new BackendHealth(backend, stats);
        BackendConfig config = backend.config();
        if (!config.slowStart().isZero()) {
            h.slowStart = new SlowStart(backend, new SlowStartRamp(config.slowStart().toNanos(),
                    SlowStartRamp.DEFAULT_STEPS), timeline);
            h.slowStart.start();
        }
        config.outlier().ifPresent(o -> {
            h.outliers = new OutlierDetector(backend, EjectionPolicy.of(o), timeline, h.stats);
            h.outliers.start();
        });
        if (config.healthCheck().isEmpty()) {
            // Without an active check servers are assumed up, also after a reload that removed the check.
            backend.servers().forEach(s -> {
                backend.setHealthy(s, true);
                stats.of(s).assumeUp();
            });
        }
        config.healthCheck().ifPresent(hc -> {
            h.active = new ActiveChecks(h, hc, transport, timeline);
            backend.addJoinListener(h.active);
            backend.servers().forEach(h.active::checkIfNew);
        });
        return h;
    }

    /** The active checks of one backend: one per server, including servers added at run time (they join). */
    private static final class ActiveChecks implements Consumer<Server> {
        private final BackendHealth owner;
        private final HealthCheckConfig config;
        private final Transport transport;
        private final Timeline timeline;
        private final HealthProbe probe;
        private final SplittableRandom seeds = new SplittableRandom();
        private final Map<Server, ActiveCheck> checks = new ConcurrentHashMap<>();
        private volatile boolean stopped;

        ActiveChecks(BackendHealth owner, HealthCheckConfig config, Transport transport, Timeline timeline) {
            this.owner = owner;
            this.config = config;
            this.transport = transport;
            this.timeline = timeline;
            this.probe = HealthProbes.of(config, transport);
        }

        @Override
        public void accept(Server joined) {
            checkIfNew(joined);
        }

        synchronized void checkIfNew(Server server) {
            if (stopped || checks.containsKey(server)) {
                return;
            }
            Backend backend = owner.backend;
            ActiveCheck check = new ActiveCheck(backend, server, probe,
                    HealthProbes.target(server, config, backend.config()),
                    config.interval().toNanos(), config.timeout().toNanos(), config.rise(), config.fall(), timeline,
                    transport.workers().next(), seeds.split(), owner.stats.of(server),
                    backend.config().feedback().isEmpty());
            check.tlsFrom(() -> HealthProbes.tls(server, config, backend));
            checks.put(server, check);
            check.start();
        }

        synchronized void stop() {
            stopped = true;
            owner.backend.removeJoinListener(this);
            checks.values().forEach(ActiveCheck::stop);
        }
    }

    public Backend backend() {
        return backend;
    }

    /**
     * How long passive health still keeps {@code server} out, in milliseconds (rounded up: 0 only once its end has
     * come and the return is about to run); empty when it is not ejected or the backend has no
     * {@code outlier} detection. Callable from any thread.
     */
    public OptionalLong ejectionRemainingMillis(Server server) {
        OutlierDetector o = outliers;
        long nanos = o == null ? -1 : o.ejectionRemainingNanos(server);
        return nanos < 0 ? OptionalLong.empty() : OptionalLong.of((nanos + 999_999) / 1_000_000);
    }

    /** Per-server check counts, verdicts and ejections. */
    public HealthStats stats() {
        return stats;
    }

    /**
     * Stops every check, ejection timer and ramp: servers keep their health verdict, ejected servers come back,
     * ramping servers get their full weight.
     */
    public void stop() {
        if (active != null) {
            active.stop();
        }
        if (outliers != null) {
            outliers.stop();
        }
        if (slowStart != null) {
            slowStart.stop();
        }
    }
}
