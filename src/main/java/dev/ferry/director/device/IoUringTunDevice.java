package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One TUN queue driven through its own {@link IoUring}: {@link #ARMED_READS} reads are kept armed on the queue, each
 * into its own slot of one registered region, so that the kernel fills them as packets come without a system call
 * each; {@link #send} queues a write; and each {@link #receive} is one {@code io_uring_enter} that submits the queued
 * writes and the re-armed reads and waits for what comes next (or the timeout). A read of the queue's eventfd is
 * armed too, so that {@link #wakeup} from another thread ends a wait at once. Under load a turn of the director's
 * worker then costs one system call for a whole batch of packets, where {@link TunDevice} makes a {@code read} and a
 * {@code write} per packet.
 *
 * <p>Buffer ownership. The region has {@link #SLOTS} slots of 64 KiB; each is, in turn:
 * <ul>
 *   <li>free (the device's, unused);</li>
 *   <li>reading: the kernel's, from the read's submission until its completion is reaped;</li>
 *   <li>held: lent to the caller as a packet of the batch the last {@code receive} returned, until the next
 *       {@code receive} (which frees it unless the caller sent it);</li>
 *   <li>writing: the kernel's again, from {@link #send} until the write's completion is reaped. A packet sent from
 *       a held slot is written in place (no copy); any other packet is copied into a free slot first (the worker's
 *       ICMP replies, handed-over packets), or written at once with {@code write(2)} when no slot is free.</li>
 * </ul>
 * The region is an anonymous mapping unmapped only after the ring is closed, so a read the kernel completes while
 * the ring is being torn down can never land in memory the JVM reuses.
 *
 * <p>Threading: as {@link PacketDevice}; the ring is enabled by, and belongs to, the thread of the first
 * {@link #receive} (the worker). {@link #wakeup} may be called from any thread.
 */
public final class IoUringTunDevice implements PacketDevice {
    /** Buffers in the registered region: armed reads, plus room for the writes of a turn and for copies. */
    static final int SLOTS = 64;
    /** Reads kept armed on the queue; also the most packets one receive returns. */
    public static final int ARMED_READS = 32;
    static final int SLOT_SIZE = 65_536;
    private static final int RING_ENTRIES = 128;
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final int ECANCELED = 125;

    private static final byte FREE = 0;
    private static final byte READING = 1;
    private static final byte HELD = 2;
    private static final byte WRITING = 3;
    private static final long KIND_READ = 1L << 32;
    private static final long KIND_WRITE = 2L << 32;
    private static final long WAKE = 3L << 32;

    private final TunDevice tun;
    private final int fd;
    private final IoUring ring;
    /** SLOTS * SLOT_SIZE bytes, then 8 bytes where the eventfd's counter is read. */
    private final MemorySegment region;
    private final MemorySegment[] slots = new MemorySegment[SLOTS];
    private final byte[] state = new byte[SLOTS];
    private final int[] free = new int[SLOTS];
    private int freeCount;
    private final int[] held = new int[SLOTS];
    private int heldCount;
    private final boolean fixed;
    private final int wakeFd;
    private final long wakeBuffer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final MemorySegment wakeErrno = Libc.newErrnoSlot(arena);
    private final MemorySegment one = arena.allocate(8);
    private int armedReads;
    private int writesInFlight;
    private boolean wakeArmed;
    private boolean enabled;
    /** For {@link #read}: the one-packet view of this device. */
    private PacketBatch single;
    private volatile boolean open = true;

    private IoUringTunDevice(TunDevice tun, IoUring ring, MemorySegment region, boolean fixed, int wakeFd) {
        this.tun = tun;
        this.fd = tun.fd();
        this.ring = ring;
        this.region = region;
        this.fixed = fixed;
        this.wakeFd = wakeFd;
        this.wakeBuffer = region.address() + (long) SLOTS * SLOT_SIZE;
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = region.asSlice((long) i * SLOT_SIZE, SLOT_SIZE);
            free[freeCount++] = SLOTS - 1 - i;
        }
        one.set(JAVA_LONG, 0, 1L);
    }

    /**
     * Drives the open queue {@code tun} through a new io_uring: the device then owns {@code tun} (closing it closes
     * the queue). On failure {@code tun} is left as it was, for the caller to use with system calls.
     *
     * @throws ErrnoException when the kernel refuses io_uring (EPERM under {@code kernel.io_uring_disabled} or a
     *                        seccomp filter, ENOSYS, a kernel before 5.11) or memory for its rings
     */
    public static IoUringTunDevice over(TunDevice tun) throws ErrnoException {
        IoUring ring = IoUring.open(RING_ENTRIES);
        MemorySegment region = null;
        int wakeFd = -1;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment err = Libc.newErrnoSlot(call);
            region = Libc.mmap(err, (long) SLOTS * SLOT_SIZE + 4096, Libc.PROT_READ | Libc.PROT_WRITE,
                    Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
            if (region.address() == -1L) {
                region = null;
                throw new ErrnoException("mmap of " + SLOTS + " packet buffers", Libc.errno(err));
            }
            boolean fixed = true;
            try {
                ring.registerBuffers(region, SLOTS, SLOT_SIZE);
            } catch (ErrnoException e) {
                fixed = false; // past RLIMIT_MEMLOCK, say: plain reads and writes into the same region
            }
            // Blocking, so that a read with nothing queued waits in the ring (a poll the kernel arms), on every
            // kernel: some return EAGAIN for a descriptor opened O_NONBLOCK.
            wakeFd = Libc.eventfd(err, 0, Libc.EFD_CLOEXEC);
            if (wakeFd < 0) {
                throw new ErrnoException("cannot create an eventfd for device " + tun.name(), Libc.errno(err));
            }
            int flags = Libc.fcntl(err, tun.fd(), Libc.F_GETFL, 0);
            if (flags < 0 || Libc.fcntl(err, tun.fd(), Libc.F_SETFL, flags & ~Libc.O_NONBLOCK) < 0) {
                throw new ErrnoException("fcntl on " + tun.name(), Libc.errno(err));
            }
            return new IoUringTunDevice(tun, ring, region, fixed, wakeFd);
        } catch (ErrnoException | RuntimeException e) {
            ring.close();
            if (region != null) {
                Libc.munmap(region);
            }
            if (wakeFd >= 0) {
                Libc.close(wakeFd);
            }
            throw e;
        }
    }

    @Override
    public String name() {
        return tun.name();
    }

    /** Whether the slots are registered buffers (READ_FIXED/WRITE_FIXED) rather than plain memory. */
    boolean fixedBuffers() {
        return fixed;
    }

    @Override
    public int receive(PacketBatch batch, int timeoutMillis) throws IOException {
        batch.clear();
        if (!open) {
            return 0;
        }
        if (!enabled) {
            ring.enable();
            enabled = true;
        }
        for (int i = 0; i < heldCount; i++) {
            int slot = held[i];
            if (state[slot] == HELD) {
                release(slot);
            }
        }
        heldCount = 0;
        while (armedReads < ARMED_READS && freeCount > 0 && ring.freeEntries() > 1) {
            int slot = free[--freeCount];
            state[slot] = READING;
            ring.prepare(fixed ? IoUring.OP_READ_FIXED : IoUring.OP_READ, fd, slots[slot].address(), MAX_PACKET,
                    fixed ? slot : 0, KIND_READ | slot);
            armedReads++;
        }
        if (!wakeArmed && ring.freeEntries() > 0) {
            ring.prepare(IoUring.OP_READ, wakeFd, wakeBuffer, 8, 0, WAKE);
            wakeArmed = true;
        }
        if (ring.ready() == 0) {
            // The writes complete while they are submitted; waiting for one completion more waits for a packet,
            // a wakeup or the timeout.
            ring.submitAndWait(writesInFlight + 1, timeoutMillis * NANOS_PER_MILLI);
        } else if (ring.prepared() > 0) {
            ring.submitAndWait(0, 0);
        }
        return reap(batch);
    }

    private int reap(PacketBatch batch) throws ErrnoException {
        int ready = ring.ready();
        int taken = 0;
        int readError = 0;
        for (; taken < ready; taken++) {
            long data = ring.userData(taken);
            int result = ring.result(taken);
            int slot = (int) data;
            long kind = data & ~0xffff_ffffL;
            if (kind == WAKE) {
                wakeArmed = false;
            } else if (kind == KIND_READ) {
                if (result > 0 && batch.isFull()) {
                    break; // the rest waits in the completion ring for the next receive
                }
                armedReads--;
                if (result > 0) {
                    state[slot] = HELD;
                    held[heldCount++] = slot;
                    batch.add(slots[slot], result);
                } else {
                    release(slot);
                    if (result < 0 && -result != Libc.EAGAIN && -result != Libc.EINTR && -result != ECANCELED) {
                        readError = -result;
                    }
                }
            } else {
                writesInFlight--;
                release(slot);
                if (result < 0) {
                    batch.sendFailed();
                }
            }
        }
        ring.consume(taken);
        if (readError != 0 && batch.size() == 0) {
            throw new ErrnoException("read from " + tun.name(), readError);
        }
        return batch.size();
    }

    private void release(int slot) {
        state[slot] = FREE;
        free[freeCount++] = slot;
    }

    @Override
    public void send(MemorySegment packet, int length) throws IOException {
        int slot = slotOf(packet);
        if (slot < 0 || state[slot] != HELD) {
            if (freeCount == 0) {
                write(packet, length);
                return;
            }
            slot = free[--freeCount];
            MemorySegment.copy(packet, 0, slots[slot], 0, length);
        }
        state[slot] = WRITING;
        if (ring.freeEntries() == 0) {
            ring.submitAndWait(0, 0); // never with SLOTS + 1 operations in flight in 128 entries; cheap if it were
        }
        ring.prepare(fixed ? IoUring.OP_WRITE_FIXED : IoUring.OP_WRITE, fd, slots[slot].address(), length,
                fixed ? slot : 0, KIND_WRITE | slot);
        writesInFlight++;
    }

    /** The slot {@code packet} starts, or -1 when it is not one of this device's. */
    private int slotOf(MemorySegment packet) {
        long offset = packet.address() - region.address();
        if (offset < 0 || offset >= (long) SLOTS * SLOT_SIZE || offset % SLOT_SIZE != 0) {
            return -1;
        }
        return (int) (offset / SLOT_SIZE);
    }

    /** One packet through the ring, copied into {@code buffer}: for a caller that does not batch. */
    @Override
    public int read(MemorySegment buffer, int timeoutMillis) throws IOException {
        if (single == null) {
            single = new PacketBatch(arena, 1);
        }
        if (receive(single, timeoutMillis) == 0) {
            return 0;
        }
        int n = single.length(0);
        MemorySegment.copy(single.packet(0), 0, buffer, 0, n);
        return n;
    }

    /** Writes at once ({@code write(2)} on the queue), beside whatever the ring has queued. */
    @Override
    public void write(MemorySegment packet, int length) throws IOException {
        long n = Libc.write(errno, fd, packet, length);
        if (n < 0) {
            throw new ErrnoException("write to " + tun.name(), Libc.errno(errno));
        }
    }

    @Override
    public void wakeup() {
        if (open) {
            Libc.write(wakeErrno, wakeFd, one, 8);
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public synchronized void close() {
        if (open) {
            tearDown();
            tun.close();
        }
    }

    /**
     * Stops driving the queue before any {@link #receive} (a director whose other queues could not have a ring):
     * the ring is closed, the queue non-blocking again and handed back open, for {@link TunDevice}'s system calls.
     */
    public synchronized TunDevice detach() {
        if (open) {
            int flags = Libc.fcntl(errno, fd, Libc.F_GETFL, 0);
            if (flags >= 0) {
                Libc.fcntl(errno, fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK);
            }
            tearDown();
        }
        return tun;
    }

    private void tearDown() {
        open = false;
        ring.close();
        Libc.close(wakeFd);
        Libc.munmap(region); // after the ring: registered pages stay pinned by the kernel until it lets them go
        arena.close();
    }

    @Override
    public String toString() {
        return "tun " + tun.name() + " (io_uring)";
    }
}
