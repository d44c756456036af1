package dev.ferry.backend;

import dev.ferry.config.HashKey;
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
 * hit only writes the entry's last-use time. An expired entry stays in place until it reaches the head of the queue
 * (every store drops up to two expired entries there) or is evicted, unless a store revives it first: so entries
 * never leave the queue out of order, and the table never holds more than {@code size} entries, expired or not.
 * Nodes of entries the admin API removed are dropped when they reach the head.
 *
 * <p>Threading: lookups and stores from any event loop, lock-free ({@link ConcurrentHashMap}); listing and clearing
 * from the admin thread. Time comes from the injected clock.
 */
public final class StickTable {
    /** Keys longer than this are not stuck (a header could otherwise make one entry hold kilobytes). */
    public static final int MAX_KEY_LENGTH = 256;
    static final int SECOND_CHANCES = 32;
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
    private final HashKey key;
    private final long expireMillis;
    private final Clock clock;

    StickTable(StickConfig config, Clock clock) {
        this.config = config;
        this.key = config.key();
        this.expireMillis = config.expire().toMillis();
        this.clock = clock;
    }

    public StickConfig config() {
        return config;
    }

    /** What requests are keyed by ({@code on}), parsed once. */
    public HashKey key() {
        return key;
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
            return null; // left in place: a store revives it, else the queue's head drops it
        }
        Server s = e.server;
        if (!s.takesPersistentClients()) {
            return null;
        }
        e.lastUsed = now;
        return s;
    }

    /**
     * Whether {@code key} has an entry that has not expired, whatever its server's state; does not touch it. For
     * telling a client whose server could not take it from one the table did not know ({@link #lookup} said null).
     */
    public boolean holds(String key) {
        if (key == null || key.length() > MAX_KEY_LENGTH) {
            return false;
        }
        Entry e = entries.get(key);
        return e != null && clock.millis() - e.lastUsed < expireMillis;
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

    /** Drops expired entries, and nodes of entries removed meanwhile, at the head of the queue (bounded work). */
    private void sweep(long now) {
        for (int i = 0; i < SWEEP_PER_STORE; i++) {
            Entry head = order.peek();
            if (head == null) {
                return;
            }
            boolean stale = entries.get(head.key) != head;
            if (!stale && now - head.lastUsed < expireMillis) {
                return;
            }
            if (order.remove(head) && !stale) { // the head: found at once
                removeMapping(head);
            }
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

    /** Removes an entry from the map (the admin API); its queue node is dropped when it reaches the head. */
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

    /** Entries now, including expired ones not yet dropped (those {@link #list} leaves out). */
    public int size() {
        return size.get();
    }

    /** Up to {@code max} live (unexpired) entries, for the admin API. */
    public List<View> list(int max) {
        long now = clock.millis();
        List<View> out = new ArrayList<>(Math.min(max, Math.max(0, size.get())));
        for (Entry e : entries.values()) {
            if (now - e.lastUsed >= expireMillis) {
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
