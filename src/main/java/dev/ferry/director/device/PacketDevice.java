package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where the director reads the packets routed to it and writes the packets it forwards: one queue of a TUN device
 * in production ({@link TunDevice}), an in-memory device in tests ({@link InMemoryDevice}). Packets are raw IPv4 or
 * IPv6 datagrams (no link-layer header, no packet-information prefix).
 *
 * <p>Two ways to use a device: one packet at a time ({@link #read}, {@link #write}), or in batches ({@link #receive},
 * {@link #send}), which a device that can batch ({@link IoUringTunDevice}) implements with fewer system calls and
 * every other device adapts to by reading and writing one packet. The director's worker uses the batches.
 *
 * <p>Threading: one thread reads and writes a device (the director worker that owns it); {@link #wakeup()} may be
 * called from any thread; {@link #close()} is called by the owning thread or once it has stopped (a worker stops
 * within its read timeout).
 */
public interface PacketDevice extends AutoCloseable {
    /** The largest packet a read returns. */
    int MAX_PACKET = 65_535;

    String name();

    /**
     * Reads the next packet into {@code buffer} (at offset 0; at least {@link #MAX_PACKET} bytes).
     *
     * @return the packet's length, or 0 when none arrived within {@code timeoutMillis} or the device is closed
     */
    int read(MemorySegment buffer, int timeoutMillis) throws IOException;

    /**
     * Makes a {@link #read} that waits, or the next one, return 0 at once: another worker handed this device's
     * worker a packet, or a task. Any thread.
     */
    void wakeup();

    /** Writes {@code length} bytes of {@code packet} (from offset 0) as one packet. */
    void write(MemorySegment packet, int length) throws IOException;

    /**
     * Waits up to {@code timeoutMillis} for packets and puts what arrived into {@code batch} (emptied first): one
     * packet, read into the batch's own buffer, unless the device batches. A {@link #wakeup} ends the wait with what
     * is there. Packets of the previous receive are the device's again from this call on (see {@link PacketBatch}).
     *
     * @return the number of packets in {@code batch}: 0 when none came within the timeout, on a wakeup, or once the
     * device is closed
     */
    default int receive(PacketBatch batch, int timeoutMillis) throws IOException {
        batch.clear();
        int n = read(batch.buffer(), timeoutMillis);
        if (n > 0) {
            batch.add(batch.buffer(), n);
        }
        return batch.size();
    }

    /**
     * Sends {@code length} bytes of {@code packet} (from offset 0) as one packet: at once on a one-packet device, by
     * the next {@link #receive} at the latest on one that batches, which may take the packet's buffer until then
     * when it is one of its own (a packet of the last batch) and copies any other. A failure it learns of only later
     * is counted in the batch of a later receive ({@link PacketBatch#takeSendFailures}).
     */
    default void send(MemorySegment packet, int length) throws IOException {
        write(packet, length);
    }

    boolean isOpen();

    @Override
    void close();
}
