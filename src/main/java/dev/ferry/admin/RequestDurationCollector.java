package dev.ferry.admin;

import dev.ferry.backend.DurationHistogram;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.http.HttpFrontend;
import dev.ferry.runtime.Balancer;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.Arrays;
import java.util.Map;

/**
 * {@code ferry_request_duration_seconds{frontend,backend}}: the histogram of HTTP request durations of each http
 * frontend by backend, read at scrape time from the frontends' {@link dev.ferry.proxy.RequestDurations} (so the
 * current frontends are always the ones shown, whatever a reload changed).
 *
 * <p>Threading: called by the registry during a scrape, on the scraping thread.
 */
final class RequestDurationCollector implements Collector {
    private static final double[] BOUNDS = Arrays.copyOf(DurationHistogram.BOUNDS_SECONDS,
            DurationHistogram.BOUNDS_SECONDS.length + 1);

    static {
        BOUNDS[BOUNDS.length - 1] = Double.POSITIVE_INFINITY;
    }

    private final Balancer balancer;

    RequestDurationCollector(Balancer balancer) {
        this.balancer = balancer;
    }

    @Override
    public MetricSnapshot collect() {
        HistogramSnapshot.Builder snapshot = HistogramSnapshot.builder().name("ferry_request_duration_seconds")
                .help("HTTP requests from the arrival of their head to the end of the response (or of the request), "
                        + "by frontend and the backend they were routed to");
        for (Frontend f : balancer.frontends()) {
            if (f instanceof HttpFrontend http) {
                for (Map.Entry<String, DurationHistogram> e : http.requestDurations().byBackend().entrySet()) {
                    DurationHistogram h = e.getValue();
                    snapshot.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .labels(Labels.of("backend", e.getKey(), "frontend", f.name()))
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, h.counts()))
                            .sum(h.sumSeconds()).build());
                }
            }
        }
        return snapshot.build();
    }

    @Override
    public String getPrometheusName() {
        return "ferry_request_duration_seconds";
    }
}
