package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where a director sends the packets of its direct services (VS/DR): each IPv4 packet, unchanged, in an Ethernet
 * frame to one MAC on one interface. {@link PacketSocket} in production; a recording sender in tests.
 *
 * <p>Threading: one thread sends (the director worker that owns it); {@link #close()} once it has stopped.
 */
public interface FrameSender extends AutoCloseable {
    /** The interface's name. */
    String name();

    /** The interface's MTU: the largest IP packet a frame carries. */
    int mtu();

    /** Sends {@code length} bytes of {@code packet} (an IPv4 packet, from offset 0) in a frame to {@code mac}. */
    void send(MemorySegment packet, int length, long mac) throws IOException;

    @Override
    void close();
}
