package dev.ferry.health;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.random.RandomGenerator;

/**
 * The active check of one server: every {@code interval} (less up to {@value #JITTER_PERCENT}% at random, so checks
 * of many servers drift apart and never come later than the interval) it runs its {@link HealthProbe}, counts the
 * result, and after {@code fall} failures (or {@code rise} passes) in a row takes the server out of (or back into)
 * the backend's snapshot, logging why. The first check comes at a random point within the first interval. A check
 * still running when the next is due is not doubled.
 *
 * <p>So a server that starts refusing is out within {@code fall x interval} (plus {@code timeout} when it stops
 * answering instead), and back within {@code rise x interval} once it answers again.
 *
 * <p>With an agent probe and {@code applyAgentWeight}, an agent's {@code NN%} and {@code drain} set the server's
 * feedback factor (when dynamic feedback is off; with it on, feedback owns that factor).
 *
 * <p>Threading: {@link #step} and the handling of each result run on the timeline's thread (the probe itself runs on
 * its I/O event loop and hands the result back), so the state needs no lock and backend changes never run on an
 * I/O loop.
 */
public final class ActiveCheck {
    private static final Logger log = LoggerFactory.getLogger(ActiveCheck.class);
    static final int JITTER_PERCENT = 10;

    private final Backend backend;
    private final Server server;
    private final HealthProbe probe;
    private final InetSocketAddress target;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final EventLoop loop;
    private final Timeline timeline;
    private final RandomGenerator random;
    private final ServerHealth health;
    private final int rise;
    private final int fall;
    private final RiseFall verdict;
    private final AgentWeight agentWeight;
    private final PeriodicTask task;
    /** The TLS of each check, looked up as it starts (a reload may bring new files); null: plain TCP. */
    private volatile java.util.function.Supplier<dev.ferry.transport.ServerTls> tls = () -> null;
    private boolean inFlight;

    /**
     * @param loop             the I/O event loop probes connect from
     * @param applyAgentWeight whether agent replies set the server's feedback factor
     */
    public ActiveCheck(Backend backend, Server server, HealthProbe probe, InetSocketAddress target, long intervalNanos,
                       long timeoutNanos, int rise, int fall, Timeline timeline, EventLoop loop,
                       RandomGenerator random, ServerHealth health, boolean applyAgentWeight) {
        this.backend = backend;
        this.server = server;
        this.probe = probe;
        this.target = target;
        this.intervalNanos = intervalNanos;
        this.timeoutNanos = timeoutNanos;
        this.loop = loop;
        this.timeline = timeline;
        this.random = random;
        this.health = health;
        this.rise = rise;
        this.fall = fall;
        this.verdict = new RiseFall(rise, fall, server.healthy());
        this.agentWeight = applyAgentWeight ? new AgentWeight() : null;
        this.task = new PeriodicTask(timeline, this::step);
    }

    /** Checks over TLS as {@code tls} says at each check (HAProxy's {@code check-ssl}); call before {@link #start}. */
    void tlsFrom(java.util.function.Supplier<dev.ferry.transport.ServerTls> tls) {
        this.tls = tls;
    }

    private dev.ferry.transport.ServerTls tls() {
        return tls.get();
    }

    /** Schedules the first check at a random point within one interval. */
    public void start() {
        task.start(random.nextLong(intervalNanos));
    }

    public void stop() {
        task.stop();
    }

    /**
     * Starts one check unless one is running.
     *
     * @return the delay to the next check: the interval less a random jitter of up to {@value #JITTER_PERCENT}%;
     *         {@link PeriodicTask#DONE} once the server is no longer in the backend
     */
    public long step(long nowNanos) {
        if (!backend.servers().contains(server)) {
            return PeriodicTask.DONE; // removed from the backend at run time
        }
        if (!inFlight) {
            inFlight = true;
            probe.check(loop, target, tls(), timeoutNanos, result -> timeline.execute(() -> completed(result)));
        }
        long jitter = intervalNanos * JITTER_PERCENT / 100;
        return intervalNanos - (jitter > 0 ? random.nextLong(jitter + 1) : 0);
    }

    private void completed(ProbeResult result) {
        inFlight = false;
        health.checked(result.passed(), result.reason());
        if (agentWeight != null) {
            result.agent().ifPresent(reply -> backend.setFeedbackFactor(server, agentWeight.apply(reply)));
        }
        if (verdict.record(result.passed())) {
            boolean up = verdict.up();
            health.changed(up);
            backend.setHealthy(server, up);
            if (up) {
                log.info("backend '{}': server '{}' is up: {} ({} checks passed in a row)", backend.name(),
                        server.name(), result.reason(), rise);
            } else {
                log.warn("backend '{}': server '{}' is down: {} ({} checks failed in a row)", backend.name(),
                        server.name(), result.reason(), fall);
            }
        } else if (log.isDebugEnabled()) {
            log.debug("backend '{}': check of server '{}' {}: {}", backend.name(), server.name(),
                    result.passed() ? "passed" : "failed", result.reason());
        }
    }
}
