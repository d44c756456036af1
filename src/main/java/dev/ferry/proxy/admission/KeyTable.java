package dev.ferry.proxy.admission;

import dev.ferry.schedule.hash.Hash64;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The keys one rate-limit rule tracks (HAProxy's stick-table {@code size}): at most about {@code size} keys, the most
 * recently used ones, shared by every event loop. The table is split into stripes by the key's hash, each a
 * {@link LinkedHashMap} in access order under its own lock, holding {@code size / stripes} keys: true LRU within a
 * stripe, so across the table an approximation of LRU that costs one uncontended lock per check instead of a global
 * list. A key unused for {@code expire} is dropped (on the next insert into its stripe, or by {@link #sweep}); it would
 * have a full bucket by then anyway, so forgetting it changes no decision. A key with connections or requests in
 * flight is never evicted (its count must come down on the same entry): a stripe full of such keys grows past its
 * share, bounded by the connections open.
 *
 * <p>Threading: any thread; each call holds one stripe's lock for a few field updates. Time comes in as an argument
 * (the caller's clock: an event loop's timeline, or a hand-driven one in tests).
 */
public final class KeyTable {
    /** The counters of one key; guarded by its stripe's lock. */
    public static final class Entry {
        final long key;
        /** The theoretical arrival times of the request and connection buckets ({@link TokenBucket}). */
        long requestTat;
        long connectionTat;
        int connections;
        int requests;
        long lastUsed;

        Entry(long key) {
            this.key = key;
        }

        boolean busy() {
            return connections > 0 || requests > 0;
        }
    }

    /** How many entries an insert looks at from the LRU end for one to evict. */
    private static final int EVICTION_SCAN = 8;
    private static final int MAX_STRIPES = 64;
    /** Each stripe holds at least this many keys (so small tables are one exact LRU). */
    private static final int MIN_PER_STRIPE = 256;

    private final Stripe[] stripes;
    private final int perStripe;
    private final long expireNanos;
    private final TokenBucket requests;
    private final TokenBucket connections;

    private static final class Stripe extends LinkedHashMap<Long, Entry> {
        Stripe() {
            super(16, 0.75f, true);
        }
    }

    /**
     * @param size        the most keys kept (over all stripes)
     * @param expireNanos how long an unused key is kept
     * @param requests    the request bucket ({@link TokenBucket#NONE}: none)
     * @param connections the connection bucket
     */
    public KeyTable(int size, long expireNanos, TokenBucket requests, TokenBucket connections) {
        int n = Integer.highestOneBit(Math.max(1, Math.min(MAX_STRIPES, size / MIN_PER_STRIPE)));
        this.stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new Stripe();
        }
        this.perStripe = Math.max(1, size / n);
        this.expireNanos = expireNanos;
        this.requests = requests;
        this.connections = connections;
    }

    private Stripe stripe(long key) {
        return stripes[(int) (Hash64.mix(key) & (stripes.length - 1))];
    }

    /** The entry of {@code key}, made (and room made for it) when absent. Holds the stripe's lock. */
    private Entry entry(Stripe s, long key, long now) {
        Entry e = s.get(key);
        if (e == null) {
            evict(s, now);
            e = new Entry(key);
            e.requestTat = requests.fullAt(now);
            e.connectionTat = connections.fullAt(now);
            s.put(key, e);
        }
        e.lastUsed = now;
        return e;
    }

    private void evict(Stripe s, long now) {
        Iterator<Entry> it = s.values().iterator();
        for (int looked = 0; looked < EVICTION_SCAN && it.hasNext(); looked++) {
            Entry oldest = it.next();
            if (oldest.busy()) {
                continue;
            }
            if (s.size() >= perStripe || now - oldest.lastUsed > expireNanos) {
                it.remove();
            } else {
                return;
            }
        }
    }

    /**
     * Takes a request from {@code key}'s request bucket.
     *
     * @return 0 when allowed, else the nanoseconds until it would be
     */
    public long takeRequest(long key, long now) {
        Stripe s = stripe(key);
        synchronized (s) {
            Entry e = entry(s, key, now);
            long wait = requests.waitNanos(e.requestTat, now);
            if (wait == 0) {
                e.requestTat = requests.after(e.requestTat, now);
            }
            return wait;
        }
    }

    /** As {@link #takeRequest}, from the connection bucket. */
    public long takeConnection(long key, long now) {
        Stripe s = stripe(key);
        synchronized (s) {
            Entry e = entry(s, key, now);
            long wait = connections.waitNanos(e.connectionTat, now);
            if (wait == 0) {
                e.connectionTat = connections.after(e.connectionTat, now);
            }
            return wait;
        }
    }

    /**
     * Counts one more connection ({@code connection} true) or request of {@code key} unless it has {@code max} already.
     *
     * @return the entry to give to {@link #release}, or null when at the limit
     */
    public Entry acquire(long key, long now, boolean connection, int max) {
        Stripe s = stripe(key);
        synchronized (s) {
            Entry e = entry(s, key, now);
            if (connection) {
                if (e.connections >= max) {
                    return null;
                }
                e.connections++;
            } else {
                if (e.requests >= max) {
                    return null;
                }
                e.requests++;
            }
            return e;
        }
    }

    /** A connection or request counted by {@link #acquire} ended. */
    public void release(Entry e, boolean connection, long now) {
        Stripe s = stripe(e.key);
        synchronized (s) {
            if (connection) {
                e.connections--;
            } else {
                e.requests--;
            }
            e.lastUsed = now;
        }
    }

    /** Drops every key unused for {@code expire} that has nothing in flight; returns how many keys remain. */
    public int sweep(long now) {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                s.values().removeIf(e -> !e.busy() && now - e.lastUsed > expireNanos);
                n += s.size();
            }
        }
        return n;
    }

    /** Keys tracked now (expired ones included until swept). */
    public int size() {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.size();
            }
        }
        return n;
    }

    /** Whether {@code key} is tracked now (for tests). */
    boolean tracks(long key) {
        Stripe s = stripe(key);
        synchronized (s) {
            return s.containsKey(key);
        }
    }

    /** For tests: how the table is cut. */
    int stripes() {
        return stripes.length;
    }

    @Override
    public String toString() {
        return "KeyTable{" + size() + " keys, " + stripes.length + " stripes of " + perStripe + "}";
    }
}
