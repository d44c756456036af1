package dev.ferry.proxy.udp;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Sessions by key, in the order they were last used, so that expiring idle ones costs only the expired ones: the
 * least recently used session is always first. Time is passed in ({@code now}, in nanoseconds on any monotonic
 * clock), so tests walk a timeline instead of sleeping.
 *
 * <p>Threading: not thread-safe; each event loop keeps its own table.
 *
 * @param <K> the session key (the client's address and port)
 * @param <V> the session
 */
final class SessionTable<K, V> {
    private static final class Slot<V> {
        final V value;
        long lastUsed;

        Slot(V value, long lastUsed) {
            this.value = value;
            this.lastUsed = lastUsed;
        }
    }

    // Access order: a get moves the entry to the end, so the first entry is the least recently used.
    private final LinkedHashMap<K, Slot<V>> slots = new LinkedHashMap<>(64, 0.75f, true);

    /** The session of {@code key}, marked used at {@code now}; null when there is none. */
    V use(K key, long now) {
        Slot<V> slot = slots.get(key);
        if (slot == null) {
            return null;
        }
        slot.lastUsed = now;
        return slot.value;
    }

    /** Adds a session used at {@code now}; replaces any earlier one of the same key. */
    void put(K key, V value, long now) {
        slots.put(key, new Slot<>(value, now));
    }

    /** Removes the session of {@code key} if it is {@code value}; true when removed. */
    boolean remove(K key, V value) {
        Slot<V> slot = slots.get(key);
        if (slot != null && slot.value == value) {
            slots.remove(key);
            return true;
        }
        return false;
    }

    int size() {
        return slots.size();
    }

    /**
     * Removes every session unused for {@code idleNanos} as of {@code now}, handing each to {@code expired}. The
     * timeout is passed in because a reload may change it; sessions are still expired in order of last use.
     *
     * @return nanoseconds until the next session would expire, or -1 when the table is empty
     */
    long expire(long now, long idleNanos, Consumer<V> expired) {
        Iterator<Map.Entry<K, Slot<V>>> it = slots.entrySet().iterator();
        while (it.hasNext()) {
            Slot<V> oldest = it.next().getValue();
            long idleFor = now - oldest.lastUsed;
            if (idleFor < idleNanos) {
                return idleNanos - idleFor;
            }
            it.remove();
            expired.accept(oldest.value);
        }
        return -1;
    }

    /** Removes every session, handing each to {@code removed}. */
    void clear(Consumer<V> removed) {
        var all = java.util.List.copyOf(slots.values());
        slots.clear();
        for (Slot<V> slot : all) {
            removed.accept(slot.value);
        }
    }
}
