package dev.ferry.director;

import dev.ferry.director.device.PacketDevice;
import dev.ferry.director.packet.Ipip;
import dev.ferry.director.packet.Ipv4;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real server's half of VS/TUN where the kernel has no IPIP ({@code ferry decap}): each IPIP packet the
 * director sends to this host is read from a raw IPPROTO_IPIP socket (outer header included), and its inner packet,
 * the client's own addressed to the VIP, is written into a TUN device that holds the VIP, so this host's stack takes
 * it as arriving on that device and answers the client from the VIP by its own routes. Only inner packets to the
 * VIP are passed (and, when directors are named, only from them): anything else an IPIP packet could carry is
 * dropped and counted, so the decapsulator forwards nothing the tunnel was not for.
 *
 * <p>Threading: {@link #run} on one thread; {@link #stop} and the counters from any.
 */
public final class Decap implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Decap.class);
    private static final int POLL_MILLIS = 200;

    private final int vip;
    private final int[] directors;
    private final PacketDevice in;
    private final PacketDevice out;
    private final AtomicLong passed = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong writeFailures = new AtomicLong();
    private volatile boolean running = true;

    /**
     * @param vip       the virtual address (an int) the inner packets must be addressed to
     * @param directors the outer sources taken; empty: any
     * @param in        where the IPIP packets are read, outer header first (a raw IPPROTO_IPIP socket)
     * @param out       where the inner packets are written (the TUN device holding the VIP)
     */
    public Decap(int vip, int[] directors, PacketDevice in, PacketDevice out) {
        this.vip = vip;
        this.directors = directors.clone();
        this.in = in;
        this.out = out;
    }

    @Override
    public void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment packet = arena.allocate(PacketDevice.MAX_PACKET);
            while (running) {
                int n;
                try {
                    n = in.read(packet, POLL_MILLIS);
                } catch (IOException e) {
                    log.warn("ferry decap: {}", e.getMessage());
                    return;
                }
                if (n > 0) {
                    handle(packet, n);
                }
            }
        }
    }

    /** Passes on the inner packet of the IPIP packet of {@code n} bytes at the start of {@code packet}, or not. */
    void handle(MemorySegment packet, int n) {
        int inner = Ipip.innerOffset(packet, n);
        if (inner < 0) {
            malformed.incrementAndGet();
            return;
        }
        if (Ipv4.destination(packet, inner) != vip || !fromDirector(Ipv4.source(packet, 0))) {
            refused.incrementAndGet();
            return;
        }
        int length = Ipv4.totalLength(packet, inner);
        try {
            out.write(packet.asSlice(inner, length), length);
            passed.incrementAndGet();
        } catch (IOException e) {
            writeFailures.incrementAndGet();
        }
    }

    private boolean fromDirector(int source) {
        if (directors.length == 0) {
            return true;
        }
        for (int d : directors) {
            if (d == source) {
                return true;
            }
        }
        return false;
    }

    /** Ends {@link #run} within its poll time. */
    public void stop() {
        running = false;
        in.wakeup();
    }

    /** Inner packets written to the device. */
    public long passed() {
        return passed.get();
    }

    /** Packets that were not IPIP carrying an IPv4 packet whole. */
    public long malformed() {
        return malformed.get();
    }

    /** IPIP packets whose inner packet was not for the VIP, or that came from no director named. */
    public long refused() {
        return refused.get();
    }

    public long writeFailures() {
        return writeFailures.get();
    }
}
