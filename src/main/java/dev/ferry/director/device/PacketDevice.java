package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where the director reads the packets routed to it and writes the packets it forwards: one queue of a TUN device
 * in production ({@link TunDevice}), an in-memory device in tests ({@link InMemoryDevice}). Packets are raw IPv4 or
 * IPv6 datagrams (no link-layer header, no packet-information prefix).
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

    boolean isOpen();

    @Override
    void close();
}
