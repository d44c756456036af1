package dev.ferry.schedule;

import dev.ferry.schedule.hash.AddressKeys;

import java.util.function.LongSupplier;

/**
 * {@code lblc}, IPVS locality-based least connection (spec §2.10): a cache maps each destination to the server that
 * last served it. A hit returns that server while it is a member, has weight above 0 and is not overloaded in
 * lblc's sense ({@link LocalityOverload}); otherwise {@code wlc} over all servers chooses, and the cache is updated.
 * Entries expire as {@link LocalityTable} describes.
 *
 * <p>The destination is {@link PickContext#destination()}: at layer 4 the address the client connected to (the
 * kernel uses the packet's destination IP: made for cache clusters); at layer 7 the HTTP frontend passes the Host as
 * an unresolved address, whose name is the key. With no destination, {@link PickContext#hashKey()} is the key.
 * A server to be avoided on a retry counts as invalid, so the retry re-schedules and re-caches.
 *
 * <p>Cost: O(1) expected per pick (hit or miss: {@code wlc} is the lock-free tournament tree, and the half-load
 * test is kept in another, see {@link LocalityOverload}); O(log n) per load change; the periodic check is O(entries)
 * for a full sweep, every 30 minutes, on the balancer's control thread (never in a pick). Threading: lock-free picks; see {@link Maintained} for expiry.
 */
public final class LocalityLeastConnectionScheduler implements Scheduler, Maintained {
    private final LocalityOptions options;
    private final LongSupplier nanoTime;
    private final WeightedLeastConnectionScheduler wlc = new WeightedLeastConnectionScheduler();
    private final LocalityOverload overload = new LocalityOverload();
    private final LocalityTable<CachedServer> cache;
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    private static final class CachedServer extends LocalityTable.Entry {
        volatile Member server;

        CachedServer(Member server, long now) {
            super(now);
            this.server = server;
        }
    }

    /** @param nanoTime the clock, {@link System#nanoTime()} in production */
    public LocalityLeastConnectionScheduler(LocalityOptions options, LongSupplier nanoTime) {
        this.options = options;
        this.nanoTime = nanoTime;
        this.cache = new LocalityTable<>(options.expiration().toNanos(), nanoTime.getAsLong());
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
        long key = keyOf(context);
        CachedServer entry = cache.get(key, now);
        if (entry != null) {
            entry.lastUse = now;
            Member s = entry.server;
            if (Availability.isMember(s, snapshot) && s.weight() > 0 && !overload.isOverloaded(s)
                    && !context.avoids(s) && (options.ipvsQuirks() || !s.isOverloaded())) {
                return s;
            }
        }
        Member chosen = wlc.pick(context);
        if (chosen == null) {
            return null;
        }
        if (entry == null) {
            entry = cache.putIfAbsent(key, new CachedServer(chosen, now));
        }
        if (entry != null) {
            entry.server = chosen;
        }
        return chosen;
    }

    @Override
    public long maintain(long nowNanos) {
        return cache.maintain(nowNanos);
    }

    /** The cached server for a key, or null; for tests. */
    Member cached(long key) {
        CachedServer entry = cache.get(key);
        return entry == null ? null : entry.server;
    }

    int cacheSize() {
        return cache.size();
    }

    /** The locality key: the destination address, or the hash key when there is none. */
    static long keyOf(PickContext context) {
        return context.destination() == null ? context.hashKey() : AddressKeys.locality(context.destination());
    }
}
