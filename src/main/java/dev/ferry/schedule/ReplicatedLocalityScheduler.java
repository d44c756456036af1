package dev.ferry.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * {@code lblcr}, IPVS locality-based least connection with replication (spec §2.11): each destination maps to a
 * <em>set</em> of servers. A hit takes the set's weighted least-loaded member; if that is overloaded in lblc's sense
 * ({@link LocalityOverload}) or there is none, {@code wlc} over all servers chooses and the server joins the front
 * of the set. A set unchanged for longer than {@code expiration} sheds its weighted most-loaded member on the next
 * hit. Entries expire as {@link LocalityTable} describes. The destination is chosen as in
 * {@link LocalityLeastConnectionScheduler}.
 *
 * <p>Cost: O(|set|) per hit plus O(1) for {@code wlc} and the half-load test; O(log n) per load change.
 * Threading: picks are lock-free except for a short lock on the one entry they use (its set changes in place).
 */
public final class ReplicatedLocalityScheduler implements Scheduler, Maintained {
    private final LocalityOptions options;
    private final LongSupplier nanoTime;
    private final long expiration;
    private final WeightedLeastConnectionScheduler wlc = new WeightedLeastConnectionScheduler();
    private final LocalityOverload overload = new LocalityOverload();
    private final LocalityTable<ServerSet> cache;
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    /** A destination's servers, most recently added first. Guarded by its own monitor. */
    private static final class ServerSet extends LocalityTable.Entry {
        final List<Member> members = new ArrayList<>(2);
        long lastMod;

        ServerSet(Member first, long now) {
            super(now);
            members.add(first);
            lastMod = now;
        }
    }

    /** @param nanoTime the clock, {@link System#nanoTime()} in production */
    public ReplicatedLocalityScheduler(LocalityOptions options, LongSupplier nanoTime) {
        this.options = options;
        this.nanoTime = nanoTime;
        this.expiration = options.expiration().toNanos();
        this.cache = new LocalityTable<>(expiration, nanoTime.getAsLong());
    }

    @Override
    public void update(Snapshot snapshot) {
        this.snapshot = snapshot;
        wlc.update(snapshot);
        overload.update(snapshot);
    }

    @Override
    public void loadChanged(Member server) {
        wlc.loadChanged(server);
        overload.loadChanged(server);
    }

    @Override
    public boolean placesByDestination() {
        return true;
    }

    @Override
    public Member pick(PickContext context) {
        long now = nanoTime.getAsLong();
        long key = LocalityLeastConnectionScheduler.keyOf(context);
        ServerSet set = cache.get(key, now);
        if (set == null) {
            Member chosen = wlc.pick(context);
            if (chosen == null) {
                return null;
            }
            set = cache.putIfAbsent(key, new ServerSet(chosen, now));
            if (set == null) {
                return chosen;
            }
            // another pick created the entry meanwhile: join its set, as a hit that found no candidate would
            synchronized (set) {
                join(set, chosen, now);
            }
            return chosen;
        }
        Snapshot current = snapshot;
        synchronized (set) {
            set.lastUse = now;
            Member candidate = leastLoaded(set.members, current, context);
            if (set.members.size() > 1 && now - set.lastMod > expiration) {
                Member most = mostLoaded(set.members, current);
                if (most != null) {
                    set.members.remove(most);
                    set.lastMod = now;
                }
            }
            if (candidate != null && !overload.isOverloaded(candidate)) {
                return candidate;
            }
        }
        Member chosen = wlc.pick(context);
        if (chosen == null) {
            return null;
        }
        synchronized (set) {
            join(set, chosen, now);
        }
        return chosen;
    }

    private static void join(ServerSet set, Member server, long now) {
        if (!set.members.contains(server)) {
            set.members.add(0, server);
            set.lastMod = now;
        }
    }

    /**
     * IPVS {@code ip_vs_dest_set_min}: the first member that is not flagged, has weight above 0 and is still a
     * member seeds; a later unflagged member replaces it on a strictly lower {@code overhead/weight}.
     */
    private static Member leastLoaded(List<? extends Member> members, Snapshot snapshot, PickContext context) {
        Member least = null;
        for (Member m : members) {
            if (m.isOverloaded() || !Availability.isMember(m, snapshot) || context.avoids(m)) {
                continue;
            }
            if (least == null) {
                if (m.weight() > 0) {
                    least = m;
                }
            } else if (least.overhead() * m.weight() > m.overhead() * least.weight()) {
                least = m;
            }
        }
        return least;
    }

    /**
     * IPVS {@code ip_vs_dest_set_max}: the first member with weight above 0 seeds; a later one with weight above 0
     * replaces it on a strictly higher {@code overhead/weight}. The flag and membership are ignored (an IPVS quirk);
     * with {@code ipvs_quirks: false} a member that has left the backend goes first.
     */
    private Member mostLoaded(List<? extends Member> members, Snapshot snapshot) {
        Member most = null;
        for (Member m : members) {
            if (!options.ipvsQuirks() && !Availability.isMember(m, snapshot)) {
                return m;
            }
            if (m.weight() <= 0) {
                continue;
            }
            if (most == null || most.overhead() * m.weight() < m.overhead() * most.weight()) {
                most = m;
            }
        }
        return most;
    }

    @Override
    public long maintain(long nowNanos) {
        return cache.maintain(nowNanos);
    }

    /** A copy of the set cached for a key (front first), or an empty list; for tests. */
    List<Member> cached(long key) {
        ServerSet set = cache.get(key);
        if (set == null) {
            return List.of();
        }
        synchronized (set) {
            return List.copyOf(set.members);
        }
    }
}
