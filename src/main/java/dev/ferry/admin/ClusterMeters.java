package dev.ferry.admin;

import dev.ferry.cluster.ClusterState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The meters of an instance in a cluster: {@code ferry_cluster_etcd_up} (1 while etcd answers),
 * {@code ferry_cluster_config_revision} (the etcd revision of the configuration in force) and
 * {@code ferry_cluster_config_refused_total} (configurations from etcd refused). They read {@link ClusterState},
 * whose fields are volatile, at each scrape.
 */
final class ClusterMeters {
    private ClusterMeters() {
    }

    static void register(MeterRegistry registry, ClusterState state) {
        Gauge.builder("ferry.cluster.etcd.up", state, s -> s.etcdReachable() ? 1 : 0)
                .description("1 while etcd answers this instance, 0 while it keeps running on what it has")
                .register(registry);
        Gauge.builder("ferry.cluster.config.revision", state, ClusterState::revisionApplied)
                .description("the etcd revision of the shared configuration in force (0: none yet)")
                .register(registry);
        FunctionCounter.builder("ferry.cluster.config.refused", state, ClusterState::refusedTotal)
                .description("shared configurations from etcd refused (nothing changed)").register(registry);
    }
}
