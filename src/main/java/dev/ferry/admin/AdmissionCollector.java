package dev.ferry.admin;

import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.admission.RuleStats;
import dev.ferry.runtime.Balancer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.List;

/**
 * The access rules' and rate limits' series, read at scrape time from each frontend's
 * {@link dev.ferry.proxy.admission.AdmissionStats}, by {@code frontend} and {@code rule} ({@code frontend} or
 * {@code routes[N]}):
 * <ul>
 *   <li>{@code ferry_denied_total}: connections (tcp), datagrams (udp) or requests (http, 403) its access rules refused;
 *   <li>{@code ferry_rate_limit_total{result="allowed|limited"}}: connections or requests its rate limit let through
 *       or refused (reset, or 429);
 *   <li>{@code ferry_rate_limit_keys}: the keys its table tracks now.
 * </ul>
 * A rule appears once it has existed (a rule without a rate limit shows only {@code ferry_denied_total}).
 *
 * <p>Threading: called by the registry during a scrape, on the scraping thread.
 */
final class AdmissionCollector implements MultiCollector {
    private final Balancer balancer;

    AdmissionCollector(Balancer balancer) {
        this.balancer = balancer;
    }

    @Override
    public MetricSnapshots collect() {
        CounterSnapshot.Builder denied = CounterSnapshot.builder().name("ferry_denied")
                .help("connections, datagrams or requests refused by a frontend's or route's allow/deny rules");
        CounterSnapshot.Builder decisions = CounterSnapshot.builder().name("ferry_rate_limit")
                .help("connections or requests a rate_limit let through (allowed) or refused (limited)");
        GaugeSnapshot.Builder keys = GaugeSnapshot.builder().name("ferry_rate_limit_keys")
                .help("keys a rate_limit tracks now");
        long now = System.nanoTime();
        for (Frontend f : balancer.frontends()) {
            for (RuleStats r : f.admissionStats().rules()) {
                Labels labels = Labels.of("frontend", f.name(), "rule", r.rule());
                denied.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels)
                        .value(r.deniedCount()).build());
                if (r.rateLimited() || r.allowedCount() + r.limitedCount() > 0) {
                    decisions.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                            .labels(labels.add("result", "allowed")).value(r.allowedCount()).build());
                    decisions.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                            .labels(labels.add("result", "limited")).value(r.limitedCount()).build());
                    keys.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels)
                            .value(r.trackedKeys(now)).build());
                }
            }
        }
        return new MetricSnapshots(denied.build(), decisions.build(), keys.build());
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("ferry_denied", "ferry_rate_limit", "ferry_rate_limit_keys");
    }
}
