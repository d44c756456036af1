package dev.ferry.director.table;

import java.util.function.Consumer;

/**
 * When tracked connections expire, without scanning the table: a hashed timing wheel of {@code slots} slots of
 * {@code tickMillis} each. An entry is filed at the first tick at or after its expiry. Extending an expiry (the
 * common case: every packet does) leaves the entry where it is and it is re-filed when its slot comes round;
 * shortening one (a state with a shorter timeout) moves it at once, so nothing expires late by more than a tick.
 *
 * <p>Threading: owned by one thread (the table's).
 */
final class TimingWheel {
    private final long tickMillis;
    private final TrackedConnection[] slots;
    private final int mask;
    private long cursor;

    TimingWheel(long tickMillis, int slotsPowerOfTwo, long startMillis) {
        if (Integer.bitCount(slotsPowerOfTwo) != 1) {
            throw new IllegalArgumentException("slots must be a power of two");
        }
        this.tickMillis = tickMillis;
        this.slots = new TrackedConnection[slotsPowerOfTwo];
        this.mask = slotsPowerOfTwo - 1;
        this.cursor = Math.floorDiv(startMillis, tickMillis) + 1;
    }

    void schedule(TrackedConnection e) {
        long tick = Math.max(ceilTick(e.expiresAt), cursor);
        e.wheelTick = tick;
        int slot = (int) (tick & mask);
        TrackedConnection head = slots[slot];
        e.wheelPrev = null;
        e.wheelNext = head;
        if (head != null) {
            head.wheelPrev = e;
        }
        slots[slot] = e;
    }

    /** After {@code e.expiresAt} changed: moves the entry only when it must now expire earlier. */
    void rescheduled(TrackedConnection e) {
        if (Math.max(ceilTick(e.expiresAt), cursor) < e.wheelTick) {
            remove(e);
            schedule(e);
        }
    }

    void remove(TrackedConnection e) {
        if (e.wheelPrev != null) {
            e.wheelPrev.wheelNext = e.wheelNext;
        } else {
            slots[(int) (e.wheelTick & mask)] = e.wheelNext;
        }
        if (e.wheelNext != null) {
            e.wheelNext.wheelPrev = e.wheelPrev;
        }
        e.wheelPrev = null;
        e.wheelNext = null;
    }

    /** Hands every entry whose expiry is at or before {@code nowMillis} to {@code expired}, removed from the wheel. */
    void advance(long nowMillis, Consumer<TrackedConnection> expired) {
        long until = Math.floorDiv(nowMillis, tickMillis);
        while (cursor <= until) {
            long tick = cursor;
            TrackedConnection e = slots[(int) (tick & mask)];
            while (e != null) {
                TrackedConnection next = e.wheelNext;
                if (e.wheelTick == tick) {
                    remove(e);
                    cursor = tick + 1;
                    if (e.expiresAt <= nowMillis) {
                        expired.accept(e);
                    } else {
                        schedule(e);
                    }
                    cursor = tick;
                }
                e = next;
            }
            cursor = tick + 1;
        }
    }

    private long ceilTick(long millis) {
        return Math.floorDiv(millis + tickMillis - 1, tickMillis);
    }
}
