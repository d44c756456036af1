package dev.ferry.schedule;

import dev.ferry.schedule.hash.Hash64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code ring}: consistent hashing with bounded loads (Karger et al.; Mirrokni, Thorup and Zadimoghaddam, as
 * HAProxy's {@code hash-balance-factor} and Envoy's ring hash do). Each server with weight above 0 owns virtual nodes
 * on a 64-bit ring in proportion to its weight ({@code vnodes} per server on average, default 100); a key goes to the
 * first node clockwise from its hash whose server can take the connection and is below its load cap. Adding or
 * removing one of n servers moves about 1/n of the keys.
 *
 * <p>Bounded load (option {@code balance_factor}, a percentage as in HAProxy, default 125, 0 = off): a server is
 * skipped while its connections ({@code active + inactive}) are not below
 * {@code ceil(ceil((total + 1) * factor / 100) * weight / totalWeight)}, so no server carries more than
 * {@code factor/100} times its weighted share of the load; the key then moves on clockwise.
 *
 * <p>The key is the backend's {@code hash_key} ({@link PickContext#hashKey()}), mixed once more so that keys that
 * are not well mixed (small integers) still spread. A node's position comes from its server's name (unique in a
 * backend, stable across restarts) and its replica number.
 *
 * <p>Cost: O(log V) per pick for V virtual nodes, plus a short walk clockwise (bounded at {@value #WALK} nodes; past
 * that, as when most servers are overloaded, a scan of the servers in list order: O(n), rare); the load total is kept
 * up to date on every {@link #loadChanged} in O(1). O(V log V) per update. Threading: lock-free.
 */
public final class ConsistentHashRingScheduler implements Scheduler {
    private static final int WALK = 64;

    private final Options options;
    private volatile Ring ring = new Ring(List.of(), new long[0], new Member[0]);

    /**
     * @param vnodes        virtual nodes per server on average (weights scale it); 1..1000
     * @param balanceFactor load cap as a percentage of the weighted average (HAProxy style), 0 = no cap, else
     *                      101..10000
     */
    public record Options(int vnodes, int balanceFactor) {
        public static final Options DEFAULT = new Options(100, 125);

        static Options read(SchedulerOptions o) {
            int factor = o.between("balance_factor", DEFAULT.balanceFactor(), 0, 10_000);
            if (factor > 0 && factor <= 100) {
                o.reject("balance_factor must be 0 (no load cap) or above 100, e.g. 125 (got '" + factor + "')");
            }
            return new Options(o.between("vnodes", DEFAULT.vnodes(), 1, 1000), factor);
        }
    }

    /** The nodes of one snapshot, with the live load total of its servers. */
    private static final class Ring {
        final long[] hashes;
        final Member[] owners;
        final Member[] servers;
        final long totalWeight;
        /** Connections of each server as last reported, by snapshot position; their sum is {@link #load}. */
        final AtomicLongArray reported;
        final LongAdder load = new LongAdder();

        Ring(List<? extends Member> servers, long[] hashes, Member[] owners) {
            this.servers = servers.toArray(new Member[0]);
            this.hashes = hashes;
            this.owners = owners;
            this.reported = new AtomicLongArray(this.servers.length);
            long w = 0;
            for (Member s : this.servers) {
                w += Math.max(0, s.weight());
            }
            this.totalWeight = w;
        }

        void report(Member s) {
            int i = s.index();
            if (i >= 0 && i < servers.length && servers[i] == s) {
                long now = (long) s.active() + s.inactive();
                load.add(now - reported.getAndSet(i, now));
            }
        }
    }

    public ConsistentHashRingScheduler(Options options) {
        this.options = options;
    }

    @Override
    public void update(Snapshot snapshot) {
        List<? extends Member> servers = snapshot.servers();
        long totalWeight = 0;
        int weighted = 0;
        for (Member s : servers) {
            if (s.weight() > 0) {
                totalWeight += s.weight();
                weighted++;
            }
        }
        long target = (long) options.vnodes() * weighted;
        List<long[]> nodes = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            Member s = servers.get(i);
            if (s.weight() <= 0) {
                continue;
            }
            long count = Math.max(1, Math.round((double) target * s.weight() / totalWeight));
            long identity = Hash64.of(s.name());
            for (long r = 0; r < count; r++) {
                nodes.add(new long[] {Hash64.mix(identity, r), i});
            }
        }
        nodes.sort((x, y) -> Long.compare(x[0], y[0]));
        long[] hashes = new long[nodes.size()];
        Member[] owners = new Member[nodes.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = nodes.get(i)[0];
            owners[i] = servers.get((int) nodes.get(i)[1]);
        }
        Ring next = new Ring(servers, hashes, owners);
        for (Member s : servers) {
            next.report(s);
        }
        ring = next;
        for (Member s : servers) {
            next.report(s); // changes reported to the old ring while this one was built
        }
    }

    @Override
    public void loadChanged(Member server) {
        ring.report(server);
    }

    @Override
    public Member pick(PickContext context) {
        Ring r = ring;
        int v = r.hashes.length;
        if (v == 0) {
            return null;
        }
        long total = Math.max(0, r.load.sum());
        int start = firstAtOrAfter(r.hashes, Hash64.mix(context.hashKey()));
        for (int k = 0; k < Math.min(v, WALK); k++) {
            Member s = r.owners[(start + k) % v];
            if (Availability.canTake(s, context) && belowCap(s, total, r.totalWeight)) {
                return s;
            }
        }
        // Most nodes are unavailable or full: take servers in list order from the start node's owner, first one
        // below its cap, else the first that can take the connection at all (the cap is a balance goal, not a limit).
        Member[] servers = r.servers;
        int from = Math.max(0, r.owners[start].index());
        Member anyAvailable = null;
        for (int k = 0; k < servers.length; k++) {
            Member s = servers[(from + k) % servers.length];
            if (Availability.canTake(s, context)) {
                if (belowCap(s, total, r.totalWeight)) {
                    return s;
                }
                if (anyAvailable == null) {
                    anyAvailable = s;
                }
            }
        }
        return anyAvailable;
    }

    /** HAProxy's {@code chash_server_is_eligible}, with our connection counts. */
    private boolean belowCap(Member s, long total, long totalWeight) {
        int factor = options.balanceFactor();
        if (factor == 0) {
            return true;
        }
        long slots = ((total + 1) * factor + 99) / 100;
        long cap = (slots * s.weight() + totalWeight - 1) / totalWeight;
        return (long) s.active() + s.inactive() < cap;
    }

    /** The index of the first node at or after {@code h} on the ring (wrapping to 0). */
    private static int firstAtOrAfter(long[] hashes, long h) {
        int i = Arrays.binarySearch(hashes, h);
        if (i < 0) {
            i = -i - 1;
        }
        return i == hashes.length ? 0 : i;
    }
}
