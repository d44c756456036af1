package dev.ferry.director.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One Linux io_uring instance, set up and driven through the Foreign Function &amp; Memory API alone: {@code
 * io_uring_setup}, {@code io_uring_enter} and {@code io_uring_register} through {@code syscall(2)}, the submission
 * and completion rings and the SQE array mapped with {@code mmap}, their layouts as {@link MemoryLayout}s (the ABI of
 * {@code include/uapi/linux/io_uring.h}), the ring indexes read with acquire and written with release semantics
 * ({@link VarHandle#getAcquire}, {@link VarHandle#setRelease}) as the kernel's {@code smp_load_acquire} and
 * {@code smp_store_release} on the other side expect.
 *
 * <p>The ring is made {@code IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN} where the kernel has them
 * (6.1+; else {@code COOP_TASKRUN}, else plain): completions are then posted only inside {@link #submitAndWait}, by
 * the thread that drives the ring, which is what a batching loop wants (no interrupts of the worker, one system call
 * per turn). It is created disabled ({@code IORING_SETUP_R_DISABLED}) so that another thread may set it up and
 * register buffers; the driving thread calls {@link #enable} once, which makes it the ring's one submitter.
 *
 * <p>Ownership: a buffer named by a prepared read or write belongs to the kernel from {@link #prepare} until its
 * completion has been {@linkplain #consume consumed}; its owner must neither touch nor free it meanwhile. Memory the
 * kernel may still write to when the ring is closed must outlive the mapping (use an anonymous {@code mmap} that is
 * unmapped after {@link #close}, as {@link IoUringTunDevice} does; registered buffers stay pinned by the kernel until
 * the ring is gone).
 *
 * <p>Threading: after {@link #enable}, every method but {@link #close} is called by the one driving thread;
 * {@link #close} by that thread or once it has stopped. Not safe for concurrent use.
 */
final class IoUring implements AutoCloseable {
    static final byte OP_READ_FIXED = 4;
    static final byte OP_WRITE_FIXED = 5;
    static final byte OP_READ = 22;
    static final byte OP_WRITE = 23;

    private static final int SETUP_R_DISABLED = 1 << 6;
    private static final int SETUP_SUBMIT_ALL = 1 << 7;
    private static final int SETUP_COOP_TASKRUN = 1 << 8;
    private static final int SETUP_SINGLE_ISSUER = 1 << 12;
    private static final int SETUP_DEFER_TASKRUN = 1 << 13;
    /** Tried in order: the first the kernel takes wins (EINVAL means it does not know a flag). */
    private static final int[] SETUP_FLAGS = {
            SETUP_R_DISABLED | SETUP_SUBMIT_ALL | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN,
            SETUP_R_DISABLED | SETUP_SUBMIT_ALL | SETUP_COOP_TASKRUN,
            SETUP_R_DISABLED};
    private static final int FEAT_SINGLE_MMAP = 1;
    private static final int FEAT_EXT_ARG = 1 << 8;
    private static final int ENTER_GETEVENTS = 1;
    private static final int ENTER_EXT_ARG = 8;
    private static final int REGISTER_BUFFERS = 0;
    private static final int REGISTER_ENABLE_RINGS = 12;
    private static final long OFF_SQ_RING = 0L;
    private static final long OFF_CQ_RING = 0x8000000L;
    private static final long OFF_SQES = 0x10000000L;

    private static final StructLayout SQ_OFFSETS = MemoryLayout.structLayout(JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"), JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"), JAVA_INT.withName("array"),
            JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));
    private static final StructLayout CQ_OFFSETS = MemoryLayout.structLayout(JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"), JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));
    /** {@code struct io_uring_params}, 120 bytes. */
    static final StructLayout PARAMS = MemoryLayout.structLayout(JAVA_INT.withName("sq_entries"),
            JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("sq_thread_cpu"),
            JAVA_INT.withName("sq_thread_idle"), JAVA_INT.withName("features"), JAVA_INT.withName("wq_fd"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"), SQ_OFFSETS.withName("sq_off"),
            CQ_OFFSETS.withName("cq_off"));
    /** {@code struct io_uring_sqe}, 64 bytes (the members this class sets; the rest of the unions is zero). */
    static final StructLayout SQE = MemoryLayout.structLayout(JAVA_BYTE.withName("opcode"),
            JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"), JAVA_INT.withName("fd"),
            JAVA_LONG.withName("off"), JAVA_LONG.withName("addr"), JAVA_INT.withName("len"),
            JAVA_INT.withName("rw_flags"), JAVA_LONG.withName("user_data"), JAVA_SHORT.withName("buf_index"),
            JAVA_SHORT.withName("personality"), JAVA_INT.withName("splice_fd_in"), JAVA_LONG.withName("addr3"),
            JAVA_LONG.withName("pad"));
    /** {@code struct io_uring_cqe}, 16 bytes. */
    static final StructLayout CQE = MemoryLayout.structLayout(JAVA_LONG.withName("user_data"),
            JAVA_INT.withName("res"), JAVA_INT.withName("flags"));
    /** {@code struct io_uring_getevents_arg} ({@code IORING_ENTER_EXT_ARG}), 24 bytes. */
    private static final StructLayout GETEVENTS_ARG = MemoryLayout.structLayout(JAVA_LONG.withName("sigmask"),
            JAVA_INT.withName("sigmask_sz"), JAVA_INT.withName("min_wait_usec"), JAVA_LONG.withName("ts"));
    /** {@code struct __kernel_timespec}. */
    private static final StructLayout TIMESPEC = MemoryLayout.structLayout(JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec"));
    /** {@code struct iovec}. */
    static final StructLayout IOVEC = MemoryLayout.structLayout(JAVA_LONG.withName("iov_base"),
            JAVA_LONG.withName("iov_len"));

    private static final long SQE_OPCODE = SQE.byteOffset(groupElement("opcode"));
    private static final long SQE_FLAGS = SQE.byteOffset(groupElement("flags"));
    private static final long SQE_IOPRIO = SQE.byteOffset(groupElement("ioprio"));
    private static final long SQE_FD = SQE.byteOffset(groupElement("fd"));
    private static final long SQE_OFF = SQE.byteOffset(groupElement("off"));
    private static final long SQE_ADDR = SQE.byteOffset(groupElement("addr"));
    private static final long SQE_LEN = SQE.byteOffset(groupElement("len"));
    private static final long SQE_RW_FLAGS = SQE.byteOffset(groupElement("rw_flags"));
    private static final long SQE_USER_DATA = SQE.byteOffset(groupElement("user_data"));
    private static final long SQE_BUF_INDEX = SQE.byteOffset(groupElement("buf_index"));
    private static final long SQE_PERSONALITY = SQE.byteOffset(groupElement("personality"));
    private static final long SQE_SPLICE_FD_IN = SQE.byteOffset(groupElement("splice_fd_in"));
    private static final long SQE_ADDR3 = SQE.byteOffset(groupElement("addr3"));
    private static final long SQE_PAD = SQE.byteOffset(groupElement("pad"));
    private static final long CQE_USER_DATA = CQE.byteOffset(groupElement("user_data"));
    private static final long CQE_RES = CQE.byteOffset(groupElement("res"));
    /** The ring indexes, shared with the kernel: acquire/release access on the mapping. */
    private static final VarHandle INDEX = JAVA_INT.varHandle();

    private final int fd;
    private final MemorySegment sqRing;
    /** The same mapping as {@link #sqRing} when the kernel maps both rings at once (IORING_FEAT_SINGLE_MMAP). */
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHead;
    private final long sqTail;
    private final int sqMask;
    private final int sqEntries;
    private final long cqHead;
    private final long cqTail;
    private final int cqMask;
    private final int cqEntries;
    private final long cqes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final MemorySegment eventsArg = arena.allocate(GETEVENTS_ARG);
    private final MemorySegment timeout = arena.allocate(TIMESPEC);
    /** Our copy of the submission tail: SQEs prepared since the last enter are between the kernel's and this. */
    private int localSqTail;
    private int prepared;
    /** The completion head as of the last {@link #consume}. */
    private int localCqHead;
    private boolean closed;

    private IoUring(int fd, MemorySegment params, MemorySegment sqRing, MemorySegment cqRing, MemorySegment sqes) {
        this.fd = fd;
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqHead = sqOffset(params, "head");
        this.sqTail = sqOffset(params, "tail");
        this.sqMask = sqRing.get(JAVA_INT, sqOffset(params, "ring_mask"));
        this.sqEntries = sqRing.get(JAVA_INT, sqOffset(params, "ring_entries"));
        this.cqHead = cqOffset(params, "head");
        this.cqTail = cqOffset(params, "tail");
        this.cqMask = cqRing.get(JAVA_INT, cqOffset(params, "ring_mask"));
        this.cqEntries = cqRing.get(JAVA_INT, cqOffset(params, "ring_entries"));
        this.cqes = cqOffset(params, "cqes");
        // The submission array maps ring slots to SQEs; identity, once: slot i always names SQE i.
        long array = sqOffset(params, "array");
        for (int i = 0; i < sqEntries; i++) {
            sqRing.set(JAVA_INT, array + 4L * i, i);
        }
        this.localSqTail = (int) INDEX.getAcquire(sqRing, sqTail);
        this.localCqHead = (int) INDEX.getAcquire(cqRing, cqHead);
        eventsArg.set(JAVA_LONG, GETEVENTS_ARG.byteOffset(groupElement("ts")), timeout.address());
    }

    private static long sqOffset(MemorySegment params, String field) {
        return Integer.toUnsignedLong(params.get(JAVA_INT,
                PARAMS.byteOffset(groupElement("sq_off"), groupElement(field))));
    }

    private static long cqOffset(MemorySegment params, String field) {
        return Integer.toUnsignedLong(params.get(JAVA_INT,
                PARAMS.byteOffset(groupElement("cq_off"), groupElement(field))));
    }

    /**
     * Sets up a disabled ring of at least {@code entries} submission entries (the kernel rounds up to a power of
     * two; completions get twice as many).
     *
     * @throws ErrnoException when the kernel refuses io_uring ({@code EPERM} under {@code kernel.io_uring_disabled}
     *                        or a seccomp filter, {@code ENOSYS} when it is not built, {@code ENOMEM} past the
     *                        locked-memory limit), or lacks {@code IORING_FEAT_EXT_ARG} (5.11) for the timed wait
     */
    static IoUring open(int entries) throws ErrnoException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment err = Libc.newErrnoSlot(call);
            MemorySegment params = call.allocate(PARAMS);
            long fd = -1;
            for (int flags : SETUP_FLAGS) {
                params.fill((byte) 0);
                params.set(JAVA_INT, PARAMS.byteOffset(groupElement("flags")), flags);
                fd = Libc.syscall(err, Libc.SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
                if (fd >= 0 || Libc.errno(err) != ErrnoException.EINVAL) {
                    break;
                }
            }
            if (fd < 0) {
                int e = Libc.errno(err);
                throw ErrnoException.withHint("io_uring_setup", e, e == ErrnoException.EPERM
                        ? " (io_uring is refused: sysctl kernel.io_uring_disabled, or a seccomp filter)"
                        : e == Libc.ENOSYS ? " (the kernel has no io_uring)" : "");
            }
            int ring = (int) fd;
            int features = params.get(JAVA_INT, PARAMS.byteOffset(groupElement("features")));
            if ((features & FEAT_EXT_ARG) == 0) {
                Libc.close(ring);
                throw ErrnoException.withHint("io_uring_setup", ErrnoException.EINVAL,
                        " (no IORING_FEAT_EXT_ARG: a kernel before 5.11)");
            }
            int sqEntries = params.get(JAVA_INT, PARAMS.byteOffset(groupElement("sq_entries")));
            int cqEntries = params.get(JAVA_INT, PARAMS.byteOffset(groupElement("cq_entries")));
            long sqSize = sqOffset(params, "array") + 4L * sqEntries;
            long cqSize = cqOffset(params, "cqes") + CQE.byteSize() * cqEntries;
            boolean single = (features & FEAT_SINGLE_MMAP) != 0;
            if (single) {
                sqSize = cqSize = Math.max(sqSize, cqSize);
            }
            MemorySegment sq = map(err, ring, sqSize, OFF_SQ_RING);
            MemorySegment cq = sq;
            MemorySegment sqes = null;
            try {
                if (!single) {
                    cq = map(err, ring, cqSize, OFF_CQ_RING);
                }
                sqes = map(err, ring, SQE.byteSize() * sqEntries, OFF_SQES);
                return new IoUring(ring, params, sq, cq, sqes);
            } catch (ErrnoException | RuntimeException e) {
                Libc.munmap(sq);
                if (cq != sq) {
                    Libc.munmap(cq);
                }
                Libc.close(ring);
                throw e;
            }
        }
    }

    private static MemorySegment map(MemorySegment err, int ring, long size, long offset) throws ErrnoException {
        MemorySegment m = Libc.mmap(err, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE,
                ring, offset);
        if (m.address() == -1L) {
            throw new ErrnoException("mmap of an io_uring ring", Libc.errno(err));
        }
        return m;
    }

    /** Submission entries (a power of two). */
    int entries() {
        return sqEntries;
    }

    /** Completion entries: at most this many operations may be in flight without the kernel queueing overflow. */
    int completionEntries() {
        return cqEntries;
    }

    /**
     * Registers {@code count} fixed buffers of {@code size} bytes each, back to back from the start of {@code
     * region} ({@code IORING_REGISTER_BUFFERS}): {@link #OP_READ_FIXED} and {@link #OP_WRITE_FIXED} then name them
     * by index, and the kernel keeps their pages pinned instead of looking them up on every operation.
     */
    void registerBuffers(MemorySegment region, int count, long size) throws ErrnoException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment iovecs = call.allocate(IOVEC, count);
            for (int i = 0; i < count; i++) {
                iovecs.set(JAVA_LONG, IOVEC.byteSize() * i, region.address() + size * i);
                iovecs.set(JAVA_LONG, IOVEC.byteSize() * i + 8, size);
            }
            register(REGISTER_BUFFERS, iovecs.address(), count, "IORING_REGISTER_BUFFERS");
        }
    }

    /** Enables the ring, making the calling thread its one submitter; called once, by the driving thread. */
    void enable() throws ErrnoException {
        register(REGISTER_ENABLE_RINGS, 0L, 0, "IORING_REGISTER_ENABLE_RINGS");
    }

    private void register(int opcode, long arg, int count, String what) throws ErrnoException {
        long r = Libc.syscall(errno, Libc.SYS_IO_URING_REGISTER, fd, opcode, arg, count, 0, 0);
        if (r < 0) {
            throw new ErrnoException(what, Libc.errno(errno));
        }
    }

    /** Free submission entries (prepared ones count until the next {@link #submitAndWait}). */
    int freeEntries() {
        return sqEntries - (localSqTail - (int) INDEX.getAcquire(sqRing, sqHead));
    }

    /**
     * Prepares a read or write of {@code length} bytes at address {@code address} on descriptor {@code target}: one
     * of the {@code OP_*} operations; {@code bufferIndex} names the registered buffer for the fixed ones (0
     * otherwise). Nothing reaches the kernel before {@link #submitAndWait}.
     *
     * @return false when the submission ring is full
     */
    boolean prepare(byte opcode, int target, long address, int length, int bufferIndex, long userData) {
        if (freeEntries() <= 0) {
            return false;
        }
        long at = SQE.byteSize() * (localSqTail & sqMask);
        sqes.set(JAVA_BYTE, at + SQE_OPCODE, opcode);
        sqes.set(JAVA_BYTE, at + SQE_FLAGS, (byte) 0);
        sqes.set(JAVA_SHORT, at + SQE_IOPRIO, (short) 0);
        sqes.set(JAVA_INT, at + SQE_FD, target);
        sqes.set(JAVA_LONG, at + SQE_OFF, -1L); // the file's own position: TUN, pipes and eventfds have none
        sqes.set(JAVA_LONG, at + SQE_ADDR, address);
        sqes.set(JAVA_INT, at + SQE_LEN, length);
        sqes.set(JAVA_INT, at + SQE_RW_FLAGS, 0);
        sqes.set(JAVA_LONG, at + SQE_USER_DATA, userData);
        sqes.set(JAVA_SHORT, at + SQE_BUF_INDEX, (short) bufferIndex);
        sqes.set(JAVA_SHORT, at + SQE_PERSONALITY, (short) 0);
        sqes.set(JAVA_INT, at + SQE_SPLICE_FD_IN, 0);
        sqes.set(JAVA_LONG, at + SQE_ADDR3, 0L);
        sqes.set(JAVA_LONG, at + SQE_PAD, 0L);
        localSqTail++;
        prepared++;
        return true;
    }

    /** SQEs prepared and not yet submitted. */
    int prepared() {
        return prepared;
    }

    /**
     * Submits what was prepared and, in the same {@code io_uring_enter}, waits until at least {@code minComplete}
     * completions are ready or {@code timeoutNanos} passed (a timeout is no error: look at {@link #ready}). With
     * {@code minComplete} 0 it only submits and posts what has completed.
     *
     * @return the number of SQEs the kernel took
     * @throws ErrnoException on a failure other than a timeout or a signal
     */
    int submitAndWait(int minComplete, long timeoutNanos) throws ErrnoException {
        int toSubmit = prepared;
        INDEX.setRelease(sqRing, sqTail, localSqTail);
        timeout.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
        timeout.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
        long r = Libc.syscall(errno, Libc.SYS_IO_URING_ENTER, fd, toSubmit, minComplete,
                ENTER_GETEVENTS | ENTER_EXT_ARG, eventsArg.address(), GETEVENTS_ARG.byteSize());
        int submitted;
        if (r >= 0) {
            submitted = (int) r;
        } else {
            int e = Libc.errno(errno);
            if (e != Libc.ETIME && e != Libc.EINTR && e != Libc.EBUSY && e != Libc.EAGAIN) {
                throw new ErrnoException("io_uring_enter", e);
            }
            submitted = 0;
        }
        // What the kernel did not take stays prepared (it took them in order): the next enter offers it again.
        int consumed = (int) INDEX.getAcquire(sqRing, sqHead);
        prepared = localSqTail - consumed;
        return submitted;
    }

    /** Completions ready to be read with {@link #userData} and {@link #result}, from index 0. */
    int ready() {
        return (int) INDEX.getAcquire(cqRing, cqTail) - localCqHead;
    }

    /** The user data of ready completion {@code i} (0 is the oldest). */
    long userData(int i) {
        return cqRing.get(JAVA_LONG, cqes + CQE.byteSize() * ((localCqHead + i) & cqMask) + CQE_USER_DATA);
    }

    /** The result of ready completion {@code i}: bytes moved, or a negated errno. */
    int result(int i) {
        return cqRing.get(JAVA_INT, cqes + CQE.byteSize() * ((localCqHead + i) & cqMask) + CQE_RES);
    }

    /** Hands the oldest {@code n} completions back to the kernel, which may then reuse their entries. */
    void consume(int n) {
        localCqHead += n;
        INDEX.setRelease(cqRing, cqHead, localCqHead);
    }

    /** Closes the ring: the kernel cancels what is in flight (asynchronously) and unpins registered buffers. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.munmap(sqes);
        Libc.munmap(sqRing);
        if (cqRing != sqRing) {
            Libc.munmap(cqRing);
        }
        Libc.close(fd);
        arena.close();
    }

    @Override
    public String toString() {
        return "io_uring fd " + fd + " (" + sqEntries + " entries)";
    }
}
