package dev.ferry.cluster;

import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.LocalConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;

import java.time.Clock;
import java.util.List;

/**
 * One instance's part in a cluster, put together for {@code ferry run} with a local file: the etcd client, the
 * first read of the shared configuration ({@link #initial}), then, once the balancer runs, the watch ({@link
 * ConfigSource}) and the membership lease ({@link Membership}).
 *
 * <p>Threading: {@link #initial}, {@link #start} and {@link #close} from the thread that runs the service;
 * {@link #resync} from any (a signal handler).
 */
public final class ClusterNode implements AutoCloseable {
    private final LocalConfig local;
    private final EtcdClient client;
    private final ClusterState state;
    private final Clock clock;
    private ConfigSource.Initial initial;
    private Membership membership;
    private ConfigSource source;

    /** @throws ConfigException when the TLS files for etcd cannot be used (placed at {@code config_source}) */
    public ClusterNode(LocalConfig local, Clock clock) throws ConfigException {
        this.local = local;
        this.clock = clock;
        try {
            this.client = new EtcdClient(local.etcd());
        } catch (EtcdException e) {
            throw new ConfigException(List.of(new ConfigProblem(local.source().toString(), 0, 0,
                    "config_source.etcd.tls", e.getMessage())));
        }
        this.state = new ClusterState(local.instance(), local.etcd().configKey(), clock);
    }

    /** Reads the shared configuration once (never throws; see {@link ConfigSource#readInitial}). */
    public FerryConfig initial() {
        initial = ConfigSource.readInitial(client, local, state);
        return initial.config();
    }

    public ClusterState state() {
        return state;
    }

    public EtcdClient client() {
        return client;
    }

    /**
     * A reloader for {@code POST /api/v1/reload}: it reads the key from etcd again and applies it (etcd unreachable:
     * refused, nothing changes).
     */
    public Reloader reloader(Balancer balancer) {
        return new Reloader(balancer, "etcd " + local.etcd().configKey(), () -> {
            try {
                return SharedConfig.effective(local, client.get(local.etcd().configKey()).first());
            } catch (EtcdException e) {
                throw new ConfigException(List.of(new ConfigProblem(SharedConfig.source(local.etcd().configKey())
                        .toString(), 0, 0, "", e.getMessage())));
            }
        });
    }

    /**
     * Starts following etcd and registering this member.
     *
     * @param adminAddress where this instance's admin API answers ("" without one)
     */
    public void start(Reloader reloader, String adminAddress, String version) {
        ConfigSource[] self = new ConfigSource[1];
        membership = new Membership(client, local.instance(), adminAddress, version, clock, state,
                () -> {
                    if (self[0] != null) {
                        self[0].kick();
                    }
                });
        if (initial != null && initial.revision() != 0) {
            membership.status(initial.revision(), initial.problems().isEmpty() ? ClusterState.Result.APPLIED
                    : ClusterState.Result.REFUSED, initial.problems());
        }
        source = new ConfigSource(client, local, state, membership, reloader,
                initial == null ? 0 : initial.revision(), initial != null && initial.empty());
        self[0] = source;
        membership.start();
        source.start();
    }

    /** Reads the shared configuration again and applies it even if unchanged (SIGHUP). */
    public void resync() {
        if (source != null) {
            source.resync();
        }
    }

    /** Stops watching and leaves the cluster (the lease is revoked, so the member key goes at once). */
    @Override
    public void close() {
        if (source != null) {
            source.close();
        }
        if (membership != null) {
            membership.close();
        }
    }
}
