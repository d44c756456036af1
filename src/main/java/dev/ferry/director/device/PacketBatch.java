package dev.ferry.director.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The packets one {@link PacketDevice#receive} returned: up to {@link #capacity()} views of the device's buffers, each
 * with its length, plus a scratch buffer of {@link PacketDevice#MAX_PACKET} bytes that belongs to the caller (a
 * one-packet device reads into it; the worker copies handed-over packets into it).
 *
 * <p>Ownership: a packet of the batch is the device's buffer, lent to the caller until the next {@code receive} on
 * the same device; the caller may rewrite it in place and pass it to {@link PacketDevice#send} (which then keeps it
 * until the kernel has written it), but must not keep it past the next {@code receive}. Write failures the device
 * learns of later (an io_uring completion) are counted here and taken with {@link #takeSendFailures}.
 *
 * <p>Threading: belongs to the one thread that drives the device.
 */
public final class PacketBatch {
    private final MemorySegment buffer;
    private final MemorySegment[] packets;
    private final int[] lengths;
    private int size;
    private int sendFailures;

    /** A batch of at most {@code capacity} packets whose scratch buffer lives in {@code arena}. */
    public PacketBatch(Arena arena, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.buffer = arena.allocate(PacketDevice.MAX_PACKET);
        this.packets = new MemorySegment[capacity];
        this.lengths = new int[capacity];
    }

    /** The caller's scratch buffer, {@link PacketDevice#MAX_PACKET} bytes. */
    public MemorySegment buffer() {
        return buffer;
    }

    public int capacity() {
        return packets.length;
    }

    public int size() {
        return size;
    }

    public boolean isFull() {
        return size == packets.length;
    }

    /** Packet {@code i}, from offset 0 (the segment may be longer than the packet: see {@link #length}). */
    public MemorySegment packet(int i) {
        return packets[i];
    }

    public int length(int i) {
        return lengths[i];
    }

    /** Device side: empties the batch before a receive fills it. */
    public void clear() {
        for (int i = 0; i < size; i++) {
            packets[i] = null;
        }
        size = 0;
    }

    /** Device side: adds a received packet; the batch must not be full. */
    public void add(MemorySegment packet, int length) {
        packets[size] = packet;
        lengths[size] = length;
        size++;
    }

    /** Device side: a packet passed to {@code send} earlier was not written. */
    public void sendFailed() {
        sendFailures++;
    }

    /** The write failures counted since the last call. */
    public int takeSendFailures() {
        int n = sendFailures;
        sendFailures = 0;
        return n;
    }
}
