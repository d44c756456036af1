package dev.ferry.director.device;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A packet device in memory, for tests: {@link #inject} queues a packet for the director to read, {@link #take}
 * returns what the director wrote, in order.
 *
 * <p>Threading: {@link #inject} and {@link #take} may be called from any thread (a test); read and write follow
 * {@link PacketDevice}'s contract.
 */
public final class InMemoryDevice implements PacketDevice {
    private final String name;
    private final BlockingQueue<byte[]> toDirector = new LinkedBlockingQueue<>();
    private final BlockingQueue<byte[]> fromDirector = new LinkedBlockingQueue<>();
    private volatile boolean open = true;

    public InMemoryDevice(String name) {
        this.name = name;
    }

    /** Queues {@code packet} for the director's next read. */
    public void inject(byte[] packet) {
        toDirector.add(packet.clone());
    }

    /** The next packet the director wrote, or null when none comes within {@code timeoutMillis}. */
    public byte[] take(long timeoutMillis) throws InterruptedException {
        return fromDirector.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The next packet the director wrote, or null when it has written nothing more. */
    public byte[] poll() {
        return fromDirector.poll();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int read(MemorySegment buffer, int timeoutMillis) {
        try {
            byte[] p = toDirector.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (p == null || !open) {
                return 0;
            }
            MemorySegment.copy(p, 0, buffer, JAVA_BYTE, 0, p.length);
            return p.length;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** Queues an empty packet, which {@link #read} returns as 0 (nothing read). */
    @Override
    public void wakeup() {
        toDirector.add(new byte[0]);
    }

    @Override
    public void write(MemorySegment packet, int length) {
        fromDirector.add(packet.asSlice(0, length).toArray(JAVA_BYTE));
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
