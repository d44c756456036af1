package dev.ferry.director;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Packets other workers hand one worker: a ring of variable-length records in native memory, so a hand-over costs
 * a copy in and a copy out and no allocation. A record is a four-byte length
 * and the packet, padded to eight bytes; a record that would not fit before the end of the ring leaves a wrap
 * marker (length -1) and starts again at offset 0.
 *
 * <p>Threading: {@link #offer} may be called by any thread (producers take turns on the ring's lock: hand-overs are
 * the uncommon path, so they rarely meet); {@link #poll} by the one consuming worker only, without the lock. The
 * positions are volatile, so the bytes of a record are visible to the consumer once it sees the new tail.
 */
final class HandoffRing {
    private static final int HEADER = 4;
    private static final int WRAP = -1;

    private final MemorySegment buffer;
    private final long capacity;
    /** Bytes consumed since the start: written by the consumer only. */
    private volatile long head;
    /** Bytes produced since the start: written by producers, under the lock. */
    private volatile long tail;

    /**
     * @param capacity bytes, a power of two of at least 256 KiB, so that the largest packet always fits, even when
     *                 it must wrap
     */
    HandoffRing(Arena arena, int capacity) {
        if (Integer.bitCount(capacity) != 1 || capacity < 2 * record(65_535)) {
            throw new IllegalArgumentException("a ring holds a power of two bytes, at least 256 KiB: " + capacity);
        }
        this.buffer = arena.allocate(capacity, 8);
        this.capacity = capacity;
    }

    private static int record(int length) {
        return (HEADER + length + 7) & ~7;
    }

    /** Copies {@code length} bytes of {@code packet} into the ring; false when it has no room for them. */
    synchronized boolean offer(MemorySegment packet, int length) {
        long t = tail;
        long offset = t & (capacity - 1);
        long toEnd = capacity - offset;
        int size = record(length);
        long needed = size <= toEnd ? size : toEnd + size;
        if (t + needed - head > capacity) {
            return false;
        }
        if (size > toEnd) {
            buffer.set(ValueLayout.JAVA_INT, offset, WRAP);
            t += toEnd;
            offset = 0;
        }
        buffer.set(ValueLayout.JAVA_INT, offset, length);
        MemorySegment.copy(packet, 0, buffer, offset + HEADER, length);
        tail = t + size;
        return true;
    }

    /** Copies the oldest packet into {@code into} (at offset 0) and returns its length, or -1 when there is none. */
    int poll(MemorySegment into) {
        long h = head;
        if (h == tail) {
            return -1;
        }
        long offset = h & (capacity - 1);
        int length = buffer.get(ValueLayout.JAVA_INT, offset);
        if (length == WRAP) {
            h += capacity - offset;
            offset = 0;
            length = buffer.get(ValueLayout.JAVA_INT, 0);
        }
        MemorySegment.copy(buffer, offset + HEADER, into, 0, length);
        head = h + record(length);
        return length;
    }

    boolean isEmpty() {
        return head == tail;
    }
}
