package dev.ferry.runtime;

import dev.ferry.backend.Backend;
import dev.ferry.dns.DnsDiscovery;
import dev.ferry.feedback.FeedbackController;
import dev.ferry.health.BackendHealth;
import dev.ferry.health.EventLoopTimeline;
import dev.ferry.health.HealthStats;
import dev.ferry.transport.Transport;
import io.netty.util.concurrent.EventExecutor;

import java.util.Optional;

/**
 * What keeps one backend current while it runs, started and stopped together: its DNS discovery, health checking
 * (active checks, outlier ejection, slow start), the schedulers' housekeeping, and dynamic feedback. A reload keeps
 * the watch of a backend the file did not change and replaces the watch of one it changed.
 *
 * <p>Threading: started and stopped by the balancer's reload thread; everything it starts decides on the control
 * executor. The accessors may be read from any thread.
 */
final class BackendWatch {
    private final DnsDiscovery discovery;
    private final BackendHealth health;
    private final SchedulerHousekeeping housekeeping;
    private final FeedbackController feedback;

    private BackendWatch(DnsDiscovery discovery, BackendHealth health, SchedulerHousekeeping housekeeping,
                         FeedbackController feedback) {
        this.discovery = discovery;
        this.health = health;
        this.housekeeping = housekeeping;
        this.feedback = feedback;
    }

    /**
     * Starts what {@code backend}'s configuration asks for.
     *
     * @param control the thread on which checks, discovery and feedback decide (not an I/O event loop)
     * @param stats   the backend's health counters, which outlive the watch (pass the same object on a restart)
     */
    static BackendWatch start(Backend backend, Transport transport, EventExecutor control, HealthStats stats) {
        DnsDiscovery discovery = null;
        if (backend.config().hasDiscovery()) {
            discovery = new DnsDiscovery(backend, transport, control);
            discovery.start(backend.config().resolver().timeout().multipliedBy(2));
        }
        BackendHealth health = BackendHealth.start(backend, transport, control, stats);
        SchedulerHousekeeping housekeeping = new SchedulerHousekeeping(backend, new EventLoopTimeline(control));
        housekeeping.start();
        FeedbackController feedback = backend.config().feedback()
                .map(fc -> FeedbackController.overTcp(backend, fc, transport, control)).orElse(null);
        if (feedback != null) {
            feedback.start();
        }
        return new BackendWatch(discovery, health, housekeeping, feedback);
    }

    /** Stops everything this watch started. */
    void stop() {
        if (discovery != null) {
            discovery.close();
        }
        health.stop();
        housekeeping.stop();
        if (feedback != null) {
            feedback.stop();
        }
    }

    Optional<DnsDiscovery> discovery() {
        return Optional.ofNullable(discovery);
    }

    BackendHealth health() {
        return health;
    }

    Optional<FeedbackController> feedback() {
        return Optional.ofNullable(feedback);
    }
}
