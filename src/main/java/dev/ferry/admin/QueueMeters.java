package dev.ferry.admin;

import dev.ferry.backend.Backend;
import dev.ferry.backend.BackendQueue;
import dev.ferry.backend.DurationHistogram;
import dev.ferry.runtime.Balancer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.Arrays;
import java.util.List;

/**
 * The meters of a backend's queue ({@code queue:}): {@code ferry_backend_queue_length{backend}} (waiting now),
 * {@code ferry_backend_queue_limit{backend}} (its {@code size}), {@code ferry_backend_queued_total{backend}} (waits
 * begun), {@code ferry_backend_queue_timeouts_total}, {@code ferry_backend_queue_full_total} (refused at once) and
 * {@code ferry_backend_queue_abandoned_total} (clients gone while waiting); and the histogram
 * {@code ferry_backend_queue_wait_seconds{backend}} of the waits that ended on a server ({@link WaitCollector}).
 * All read the queue's own counters at scrape time.
 */
final class QueueMeters {
    private QueueMeters() {
    }

    static List<Meter> of(MeterRegistry registry, String backend, BackendQueue q) {
        return List.of(
                Gauge.builder("ferry.backend.queue.length", q, BackendQueue::length).tag("backend", backend)
                        .description("requests (http) and connections (tcp) waiting in the backend's queue now")
                        .strongReference(true).register(registry),
                Gauge.builder("ferry.backend.queue.limit", q, x -> x.config().size()).tag("backend", backend)
                        .description("the most that may wait in the backend's queue (queue.size)")
                        .strongReference(true).register(registry),
                FunctionCounter.builder("ferry.backend.queued", q, BackendQueue::queuedTotal).tag("backend", backend)
                        .description("requests and connections that waited in the backend's queue").register(registry),
                FunctionCounter.builder("ferry.backend.queue.timeouts", q, BackendQueue::timeoutsTotal)
                        .tag("backend", backend)
                        .description("waits that ran out at queue.timeout (answered 503, or reset)").register(registry),
                FunctionCounter.builder("ferry.backend.queue.full", q, BackendQueue::fullTotal).tag("backend", backend)
                        .description("requests and connections refused at once as the queue was full")
                        .register(registry),
                FunctionCounter.builder("ferry.backend.queue.abandoned", q, BackendQueue::abandonedTotal)
                        .tag("backend", backend)
                        .description("waits given up by the client before a server had room").register(registry));
    }

    /** {@code ferry_backend_queue_wait_seconds{backend}}: how long the waiters sent to a server waited. */
    static final class WaitCollector implements Collector {
        private static final double[] BOUNDS = Arrays.copyOf(DurationHistogram.BOUNDS_SECONDS,
                DurationHistogram.BOUNDS_SECONDS.length + 1);

        static {
            BOUNDS[BOUNDS.length - 1] = Double.POSITIVE_INFINITY;
        }

        private final Balancer balancer;

        WaitCollector(Balancer balancer) {
            this.balancer = balancer;
        }

        @Override
        public MetricSnapshot collect() {
            HistogramSnapshot.Builder snapshot = HistogramSnapshot.builder().name("ferry_backend_queue_wait_seconds")
                    .help("time requests and connections waited in the backend's queue before a server took them");
            for (Backend b : balancer.backends().values()) {
                BackendQueue q = b.queue();
                if (q != null) {
                    DurationHistogram h = q.waits();
                    snapshot.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .labels(Labels.of("backend", b.name()))
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, h.counts()))
                            .sum(h.sumSeconds()).build());
                }
            }
            return snapshot.build();
        }

        @Override
        public String getPrometheusName() {
            return "ferry_backend_queue_wait_seconds";
        }
    }
}
