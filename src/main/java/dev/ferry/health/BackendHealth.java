package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.FeedbackConfig;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.transport.Transport;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Everything that watches one backend's servers, as its configuration asks: an {@link ActiveCheck} per server
 * ({@code health_check}), an {@link OutlierDetector} ({@code outlier}) and {@link SlowStart} ({@code slow_start}).
 * Each check gets an event loop of its own choosing (round robin over the transport's loops).
 *
 * <p>Threading: {@link #start} and {@link #stop} are called by the balancer, off the event loops; {@link #stats()}
 * from any thread.
 */
public final class BackendHealth {
    private final Backend backend;
    private final HealthStats stats = new HealthStats();
    private final List<ActiveCheck> checks = new ArrayList<>();
    private OutlierDetector outliers;
    private SlowStart slowStart;

    private BackendHealth(Backend backend) {
        this.backend = backend;
    }

    /** Starts what the backend's configuration asks for (possibly nothing). */
    public static BackendHealth start(Backend backend, Transport transport) {
        BackendHealth h = new BackendHealth(backend);
        BackendConfig config = backend.config();
        if (!config.slowStart().isZero()) {
            h.slowStart = new SlowStart(backend, new SlowStartRamp(config.slowStart().toNanos(),
                    SlowStartRamp.DEFAULT_STEPS), timeline(transport));
            h.slowStart.start();
        }
        config.outlier().ifPresent(o -> {
            h.outliers = new OutlierDetector(backend, EjectionPolicy.of(o), timeline(transport), h.stats);
            h.outliers.start();
        });
        config.healthCheck().ifPresent(hc -> {
            HealthProbe probe = probe(hc, transport);
            SplittableRandom seeds = new SplittableRandom();
            for (Server server : backend.servers()) {
                EventLoop loop = transport.workers().next();
                ActiveCheck check = new ActiveCheck(backend, server, probe, target(server, hc, config),
                        hc.interval().toNanos(), hc.timeout().toNanos(), hc.rise(), hc.fall(),
                        new EventLoopTimeline(loop), loop, seeds.split(), h.stats.of(server),
                        config.feedback().isEmpty());
                h.checks.add(check);
                check.start();
            }
        });
        return h;
    }

    private static Timeline timeline(Transport transport) {
        return new EventLoopTimeline(transport.workers().next());
    }

    static HealthProbe probe(HealthCheckConfig hc, Transport transport) {
        return switch (hc.type()) {
            case TCP -> new TcpProbe(transport);
            case HTTP -> new HttpProbe(transport, hc);
            case AGENT -> new AgentProbe(transport);
        };
    }

    /** The server's own address, or its {@code check_port}; agent checks default to the agent port. */
    static InetSocketAddress target(Server server, HealthCheckConfig hc, BackendConfig config) {
        int port = hc.checkPort().orElseGet(() -> hc.type() == HealthCheckConfig.Type.AGENT
                ? config.feedback().map(FeedbackConfig::agentPort).orElse(FeedbackConfig.DEFAULT_AGENT_PORT)
                : server.address().getPort());
        return new InetSocketAddress(server.address().getAddress(), port);
    }

    public Backend backend() {
        return backend;
    }

    /** Per-server check counts, verdicts and ejections. */
    public HealthStats stats() {
        return stats;
    }

    /** Stops every check, ejection timer and ramp; servers keep their current state. */
    public void stop() {
        checks.forEach(ActiveCheck::stop);
        if (outliers != null) {
            outliers.stop();
        }
        if (slowStart != null) {
            slowStart.stop();
        }
    }
}
