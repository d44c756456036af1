package dev.ferry.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * This instance's presence in the cluster: a lease (TTL {@code lease_ttl}, 10 s by default) renewed every third of
 * its TTL, holding {@code <prefix>members/<instance>} = {@code {address, version, started}} and {@code
 * <prefix>status/<instance>} = {@code {revision, result, problems, at}} (the xDS ACK/NACK of the configuration it
 * last saw). When the process dies the lease expires and both keys go; on {@link #close()} it is revoked, so they go
 * at once. A lease found expired (etcd was away longer than its TTL) is granted anew and the keys written again.
 *
 * <p>Threading: one daemon thread of its own ({@code ferry-membership}) does every call; {@link #status} may be
 * called from any thread and only wakes it.
 */
public final class Membership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Membership.class);

    private final EtcdClient client;
    private final String memberKey;
    private final String statusKey;
    private final byte[] member;
    private final long ttlSeconds;
    private final ClusterState state;
    private final Runnable onLost;
    private final Clock clock;
    private final Waiter waiter = new Waiter();
    private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(3), new Random());
    private final Thread thread;
    private volatile boolean running = true;
    private volatile byte[] status;
    private volatile boolean statusDirty;
    private volatile long lease;

    /**
     * @param address where this instance's admin API answers (or empty)
     * @param onLost  called (on this class's thread) when etcd stops answering keep-alives, so the configuration
     *                watch, which may hang on a dead connection, is re-established
     */
    public Membership(EtcdClient client, String instance, String address, String version, Clock clock,
                      ClusterState state, Runnable onLost) {
        String prefix = client.config().prefix();
        this.client = client;
        this.memberKey = prefix + "members/" + instance;
        this.statusKey = prefix + "status/" + instance;
        ObjectNode m = EtcdClient.JSON.createObjectNode().put("instance", instance).put("address", address)
                .put("version", version).put("started", clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        this.member = m.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.ttlSeconds = Math.max(1, client.config().leaseTtl().toSeconds());
        this.state = state;
        this.onLost = onLost;
        this.clock = clock;
        this.thread = Thread.ofPlatform().daemon().name("ferry-membership").unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    /** Records the outcome of a configuration revision; written to the status key soon after (and after each grant). */
    public void status(long revision, ClusterState.Result result, List<String> problems) {
        ObjectNode s = EtcdClient.JSON.createObjectNode().put("revision", revision)
                .put("result", result.name().toLowerCase(java.util.Locale.ROOT)).put("at", clock.instant().toString());
        problems.forEach(s.putArray("problems")::add);
        status = s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        statusDirty = true;
        waiter.wake();
    }

    /** The lease held now, 0 when none (tests). */
    public long lease() {
        return lease;
    }

    private void run() {
        int failures = 0;
        while (running) {
            try {
                if (lease == 0) {
                    long granted = client.grantLease(ttlSeconds);
                    client.put(memberKey, member, granted);
                    lease = granted;
                    statusDirty = status != null;
                    log.info("cluster: member {} registered (lease {} s)", memberKey, ttlSeconds);
                } else if (client.keepAlive(lease) <= 0) {
                    log.warn("cluster: the lease of {} had expired (etcd away longer than {} s); registering again",
                            memberKey, ttlSeconds);
                    lease = 0;
                    continue;
                }
                byte[] s = status;
                if (statusDirty && s != null) {
                    statusDirty = false;
                    client.put(statusKey, s, lease);
                }
                state.reachable();
                failures = 0;
                waiter.await(Duration.ofMillis(ttlSeconds * 1000 / 3));
            } catch (EtcdException e) {
                if (!running) {
                    break;
                }
                if (failures == 0) {
                    log.warn("cluster: {}; still serving the configuration in force, retrying", e.getMessage());
                    onLost.run();
                }
                state.unreachable(e.getMessage());
                statusDirty = status != null;
                waiter.await(backoff.delay(failures++));
            }
        }
    }

    /** Stops renewing and revokes the lease, so this member's keys go at once (best effort). */
    @Override
    public void close() {
        running = false;
        waiter.wake();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long l = lease;
        if (l != 0) {
            try {
                client.revoke(l);
            } catch (EtcdException e) {
                log.info("cluster: could not revoke lease of {} ({}); it expires in {} s", memberKey, e.getMessage(),
                        ttlSeconds);
            }
            lease = 0;
        }
    }
}
