package dev.ferry.schedule;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cache of lblc and lblcr (spec §2.10): locality key to entry, in 1024 buckets, with IPVS's expiry. Every 60 s a
 * check runs with a counter starting at 1:
 * <ul>
 *   <li>when {@code counter % 30 == 0}, a full sweep removes every entry idle for at least {@code expiration} and
 *       resets the counter to 1;</li>
 *   <li>else, with at most 16384 entries, the counter goes up by one;</li>
 *   <li>else (over the cap), starting at the bucket after the rover, whole buckets are swept of entries idle for at
 *       least 6 minutes until {@link #goal(int)} entries are gone; the rover remembers the last bucket.</li>
 * </ul>
 *
 * <p>The checks run on the kernel's timeline: the first one interval after creation, then every interval after the
 * one before (60 s, 120 s, ...: a fixed grid), driven by the balancer's control thread through
 * {@link #maintain(long)}, never by picks. A late timer runs the checks it missed, each as of its own tick. So that
 * a late timer never lets a pick see what the kernel's timer would already have removed, {@link #get(long, long)}
 * treats an entry as gone when a full sweep is due and would remove it.
 *
 * <p>Threading: lookups and inserts are lock-free (one {@link ConcurrentHashMap} per bucket) from any thread; the
 * check runs on one thread at a time (others skip it). An entry touched by a pick while the check removes it is
 * simply recreated by the next miss, as a kernel entry recreated after expiry would be.
 *
 * @param <E> the entry type, which carries its own last-use time
 */
final class LocalityTable<E extends LocalityTable.Entry> implements Maintained {
    static final int BUCKETS = 1024;
    static final int MAX_SIZE = 16 * 1024;
    static final long CHECK_INTERVAL = TimeUnit.SECONDS.toNanos(60);
    static final int FULL_SWEEP_EVERY = 30;
    static final long OVER_CAP_IDLE = TimeUnit.MINUTES.toNanos(6);

    /** A cache entry; {@link #lastUse} is the nanosecond time of its last lookup. */
    abstract static class Entry {
        volatile long lastUse;

        Entry(long now) {
            this.lastUse = now;
        }
    }

    @SuppressWarnings("unchecked")
    private final Map<Long, E>[] buckets = new Map[BUCKETS];
    private final AtomicInteger entries = new AtomicInteger();
    private final AtomicBoolean checking = new AtomicBoolean();
    private final long expiration;
    private volatile long nextCheck;
    /** Whether the check due at {@link #nextCheck} is a full sweep ({@code counter % 30 == 0}). */
    private volatile boolean nextIsFullSweep;
    /** Only touched by the check, which runs on one thread at a time. */
    private int counter = 1;
    private int rover;

    /**
     * @param expiration idle time after which the full sweep removes an entry, in nanoseconds
     * @param now        the clock's time at creation; the first check is due one interval later
     */
    LocalityTable(long expiration, long now) {
        this.expiration = expiration;
        this.nextCheck = now + CHECK_INTERVAL;
        for (int i = 0; i < BUCKETS; i++) {
            buckets[i] = new ConcurrentHashMap<>();
        }
    }

    /**
     * The entry of {@code key}, or null; an entry that the full sweep due at or before {@code now} (and not run yet)
     * would remove is removed here and null returned.
     */
    E get(long key, long now) {
        Map<Long, E> bucket = buckets[bucketOf(key)];
        E entry = bucket.get(key);
        if (entry != null && nextIsFullSweep) {
            long due = nextCheck;
            if (now - due >= 0 && due - entry.lastUse >= expiration && bucket.remove(key, entry)) {
                entries.decrementAndGet();
                return null;
            }
        }
        return entry;
    }

    /** The entry of {@code key} as it is, or null; for tests. */
    E get(long key) {
        return buckets[bucketOf(key)].get(key);
    }

    /** Inserts {@code entry} unless the key has one; returns the entry already there, or null. */
    E putIfAbsent(long key, E entry) {
        E existing = buckets[bucketOf(key)].putIfAbsent(key, entry);
        if (existing == null) {
            entries.incrementAndGet();
        }
        return existing;
    }

    int size() {
        return entries.get();
    }

    /**
     * Runs the checks that are due, each as of its own tick on the 60-second grid (a timer that comes late runs the
     * ones it missed, up to one full-sweep cycle), and returns the nanoseconds until the next tick.
     */
    @Override
    public long maintain(long now) {
        if (now - nextCheck < 0) {
            return nextCheck - now;
        }
        if (!checking.compareAndSet(false, true)) {
            return CHECK_INTERVAL;
        }
        try {
            long due = nextCheck;
            long missed = (now - due) / CHECK_INTERVAL;
            if (missed >= FULL_SWEEP_EVERY) { // a stalled timer: run the last cycle's worth, on the grid
                due += (missed - FULL_SWEEP_EVERY + 1) * CHECK_INTERVAL;
            }
            for (; now - due >= 0; due += CHECK_INTERVAL) {
                check(due);
            }
            nextIsFullSweep = counter % FULL_SWEEP_EVERY == 0;
            nextCheck = due;
            return due - now;
        } finally {
            checking.set(false);
        }
    }

    /** How many entries an over-cap check tries to remove: a third more than the excess, at most half the cap. */
    static int goal(int entries) {
        return Math.min((entries - MAX_SIZE) * 4 / 3, MAX_SIZE / 2);
    }

    private void check(long now) {
        if (counter % FULL_SWEEP_EVERY == 0) {
            for (Map<Long, E> bucket : buckets) {
                sweep(bucket, now, expiration);
            }
            counter = 1;
            return;
        }
        int size = entries.get();
        if (size <= MAX_SIZE) {
            counter++;
            return;
        }
        int goal = goal(size);
        int j = rover;
        for (int i = 0; i < BUCKETS; i++) {
            j = (j + 1) & (BUCKETS - 1);
            goal -= sweep(buckets[j], now, OVER_CAP_IDLE);
            if (goal <= 0) {
                break;
            }
        }
        rover = j;
    }

    /** Removes the bucket's entries idle for at least {@code idle}; returns how many. */
    private int sweep(Map<Long, E> bucket, long now, long idle) {
        int removed = 0;
        for (Iterator<Map.Entry<Long, E>> it = bucket.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, E> e = it.next();
            if (now - e.getValue().lastUse >= idle && bucket.remove(e.getKey(), e.getValue())) {
                entries.decrementAndGet();
                removed++;
            }
        }
        return removed;
    }

    /** The kernel's {@code hash_32(key, 10)} over the key folded to 32 bits. */
    static int bucketOf(long key) {
        int folded = (int) (key ^ (key >>> 32));
        return (folded * 0x61C88647) >>> 22;
    }
}
