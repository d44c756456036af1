package dev.ferry.backend;

import dev.ferry.config.StickConfig;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend's stick table ({@code stick:}, HAProxy's {@code stick-table} with {@code stick on}): a request key (the
 * client's address, a header's or a cookie's value) mapped to the server that served it, kept for {@code expire}
 * after its last use, at most {@code size} entries. Shared by every event loop.
 *
 * <p>Eviction is an approximate LRU, the CLOCK (second chance) algorithm: entries wait in a FIFO queue in the order
 * they were made; past {@code size}, the oldest is looked at, and one used since it was queued goes to the back
 * instead of out (at most {@value #SECOND_CHANCES} such passes per eviction, then the oldest goes whatever it did).
 * That costs O(1) per insertion and no lock, where an exact LRU needs a lock or a list reordered on every hit: a
 * hit only writes the entry's last-use time. Every store also walks two nodes of the queue (dropping the expired
 * and those of entries removed meanwhile), and a lookup or a listing drops an expired entry it meets, so expired
 * entries do not outstay the traffic that made them by much, and the queue stays within a small multiple of the
 * entries.
 *
 * <p>Threading: lookups and stores from any event loop, lock-free ({@link ConcurrentHashMap}); listing and clearing
 * from the admin thread. Time comes from the injected clock.
 */
public final class StickTable {
    /** Keys longer than this are not stuck (a header could otherwise make one entry hold kilobytes). */
    public static final int MAX_KEY_LENGTH = 256;
    static final int SECOND_CHANCES = 8;
    /** Expired entries at the queue's head looked at per store, so an idle table still empties itself. */
    private static final int SWEEP_PER_STORE = 2;

    /** One entry; {@code queuedAt} is when it last went into the queue, for the second chance. */
    private static final class Entry {
        final String key;
        volatile Server server;
        volatile long lastUsed;
        volatile long queuedAt;

        Entry(String key, Server server, long now) {
            this.key = key;
            this.server = server;
            this.lastUsed = now;
            this.queuedAt = now;
        }
    }

    /**
     * One entry as the admin API shows it.
     *
     * @param expiresInMillis how long it lives unless used again
     */
    public record View(String key, String server, long idleMillis, long expiresInMillis) {
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Entry> order = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final StickConfig config;
    private final long expireMillis;
    private final Clock clock;

    StickTable(StickConfig config, Clock clock) {
        this.config = config;
        this.expireMillis = config.expire().toMillis();
        this.clock = clock;
    }

    public StickConfig config() {
        return config;
    }

    /** Whether a table made for {@code other} would be this one (a reload keeps the entries). */
    boolean sameShape(StickConfig other) {
        return other.on().equals(config.on());
    }

    /**
     * The server {@code key} is stuck to, touching the entry; null when there is none, it expired, or its server
     * cannot take it now (down, ejected, in maintenance, removed: the caller picks and {@link #store}s anew). A
     * draining server keeps its entries.
     */
    public Server lookup(String key) {
        if (key == null || key.length() > MAX_KEY_LENGTH) {
            return null;
        }
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        long now = clock.millis();
        if (now - e.lastUsed >= expireMillis) {
            remove(e);
            return null;
        }
        Server s = e.server;
        if (!s.takesPersistentClients()) {
            return null;
        }
        e.lastUsed = now;
        return s;
    }

    /** Sticks {@code key} to {@code server} (new, or moved from the server it had), from now. */
    public void store(String key, Server server) {
        if (key == null || key.length() > MAX_KEY_LENGTH) {
            return;
        }
        long now = clock.millis();
        Entry e = entries.get(key);
        if (e != null) {
            e.server = server;
            e.lastUsed = now;
            return;
        }
        Entry fresh = new Entry(key, server, now);
        Entry raced = entries.putIfAbsent(key, fresh);
        if (raced != null) {
            raced.server = server;
            raced.lastUsed = now;
            return;
        }
        order.add(fresh);
        int n = size.incrementAndGet();
        sweep(now);
        while (n > config.size()) {
            if (!evictOne(now)) {
                break;
            }
            n = size.get();
        }
    }

    /**
     * Looks at a few entries at the head of the queue (bounded work): drops the stale and the expired, sends the
     * others to the back (those used since they were queued lose their second chance), so that the whole queue is
     * walked as stores come and nodes of removed entries never pile up behind a long-lived one.
     */
    private void sweep(long now) {
        for (int i = 0; i < SWEEP_PER_STORE; i++) {
            Entry head = order.poll();
            if (head == null) {
                return;
            }
            if (entries.get(head.key) != head) {
                continue; // removed meanwhile (cleared, expired at a lookup): its node goes here
            }
            if (now - head.lastUsed >= expireMillis) {
                removeMapping(head);
                continue;
            }
            if (head.lastUsed > head.queuedAt) {
                head.queuedAt = now;
            }
            order.add(head);
        }
    }

    /** Evicts one entry, giving those used since they were queued a second chance. */
    private boolean evictOne(long now) {
        for (int pass = 0; ; pass++) {
            Entry head = order.poll();
            if (head == null) {
                return false;
            }
            if (entries.get(head.key) != head) {
                continue; // stale: already gone from the map
            }
            boolean used = head.lastUsed > head.queuedAt && now - head.lastUsed < expireMillis;
            if (used && pass < SECOND_CHANCES) {
                head.queuedAt = now;
                order.add(head);
                continue;
            }
            removeMapping(head);
            return true;
        }
    }

    /** Removes an entry from the map; its queue node is dropped when the queue's walk meets it. */
    private void remove(Entry e) {
        removeMapping(e);
    }

    private boolean removeMapping(Entry e) {
        if (entries.remove(e.key, e)) {
            size.decrementAndGet();
            return true;
        }
        return false;
    }

    /** Entries now, expired ones not counted (approximately: they are dropped as they are met). */
    public int size() {
        return size.get();
    }

    /** Up to {@code max} live entries, for the admin API; expired ones met on the way are dropped. */
    public List<View> list(int max) {
        long now = clock.millis();
        List<View> out = new ArrayList<>(Math.min(max, Math.max(0, size.get())));
        for (Entry e : entries.values()) {
            if (now - e.lastUsed >= expireMillis) {
                remove(e);
                continue;
            }
            if (out.size() < max) {
                long idle = now - e.lastUsed;
                out.add(new View(e.key, e.server.name(), idle, expireMillis - idle));
            }
        }
        return out;
    }

    /** Copies the live entries into {@code other} (a reload that changed size or expiry), oldest first. */
    void copyTo(StickTable other) {
        for (Entry e : order) {
            if (entries.get(e.key) == e) {
                other.store(e.key, e.server);
            }
        }
    }

    /** Forgets {@code key}; whether it was there. */
    public boolean clear(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            return false;
        }
        remove(e);
        return true;
    }

    /** Forgets every entry; how many there were. */
    public int clear() {
        int n = 0;
        for (Entry e : entries.values()) {
            if (removeMapping(e)) {
                n++;
            }
        }
        return n; // the queue's nodes are dropped as its walk meets them
    }
}
