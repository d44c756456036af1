package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One queue of a Linux TUN device ({@code IFF_TUN | IFF_NO_PI}, and {@code IFF_MULTI_QUEUE} when the director has
 * several workers), opened through {@code /dev/net/tun} with {@code TUNSETIFF}; the device is created when it does
 * not exist and brought up. The descriptor is non-blocking: a read drains what is queued without a poll and polls
 * only when the queue is empty, so a busy queue costs one system call per packet. The poll also watches an
 * eventfd, so that {@link #wakeup} from another thread ends a wait at once.
 *
 * <p>Threading: see {@link PacketDevice}; the errno slot and the poll descriptors belong to the reading thread,
 * {@link #wakeup} has its own slot (whose errno nobody reads: an eventfd write fails only when its counter is full,
 * and then a wakeup is pending anyway).
 */
public final class TunDevice implements PacketDevice {
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_MULTI_QUEUE = 0x0100;
    /** {@code struct ifreq}: a 16-byte name, then a union whose first member here is the short flags. */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;
    /** {@code struct pollfd}: int fd, short events, short revents. */
    private static final int POLLFD_SIZE = 8;

    private final String name;
    private final int fd;
    private final int wakeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final MemorySegment wakeErrno = Libc.newErrnoSlot(arena);
    private final MemorySegment pollFds = arena.allocate(2 * POLLFD_SIZE);
    /** Eight bytes: the 1 a wakeup adds to the eventfd, and where a read of the eventfd lands. */
    private final MemorySegment one = arena.allocate(8);
    private final MemorySegment drained = arena.allocate(8);
    private volatile boolean open = true;

    private TunDevice(String name, int fd, int wakeFd) {
        this.name = name;
        this.fd = fd;
        this.wakeFd = wakeFd;
        pollFds.set(JAVA_INT, 0, fd);
        pollFds.set(JAVA_SHORT, 4, Libc.POLLIN);
        pollFds.set(JAVA_INT, POLLFD_SIZE, wakeFd);
        pollFds.set(JAVA_SHORT, POLLFD_SIZE + 4, Libc.POLLIN);
        one.set(JAVA_LONG, 0, 1L);
    }

    /**
     * Opens a queue of TUN device {@code name}, creating the device when missing, and brings the device up. A
     * single queue attaches to a device made either way ({@code ip tuntap add mode tun [multi_queue]}).
     *
     * @throws ErrnoException without CAP_NET_ADMIN, without {@code /dev/net/tun}, or when {@code name} is a
     *                        device of another kind
     */
    public static TunDevice open(String name, boolean multiQueue) throws ErrnoException {
        return open(name, multiQueue, !multiQueue);
    }

    /**
     * Opens {@code queues} queues of TUN device {@code name} (multi-queue when more than one), creating it when
     * missing: all of them or none.
     */
    public static List<TunDevice> openQueues(String name, int queues) throws ErrnoException {
        List<TunDevice> out = new ArrayList<>();
        try {
            for (int i = 0; i < queues; i++) {
                out.add(open(name, queues > 1));
            }
            return List.copyOf(out);
        } catch (ErrnoException | RuntimeException e) {
            out.forEach(TunDevice::close);
            throw e;
        }
    }

    private static TunDevice open(String name, boolean multiQueue, boolean eitherKind) throws ErrnoException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("a device name has 1 to 15 characters: " + name);
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment err = Libc.newErrnoSlot(call);
            int fd = Libc.open(err, call.allocateFrom("/dev/net/tun"), Libc.O_RDWR | Libc.O_NONBLOCK);
            if (fd < 0) {
                throw new ErrnoException("cannot open /dev/net/tun for device " + name, Libc.errno(err));
            }
            MemorySegment ifreq = call.allocate(IFREQ_SIZE);
            MemorySegment.copy(nameBytes, 0, ifreq, JAVA_BYTE, 0, nameBytes.length);
            ifreq.set(JAVA_SHORT, IFNAMSIZ, flags(multiQueue));
            int result = Libc.ioctl(err, fd, TUNSETIFF, ifreq);
            if (result < 0 && Libc.errno(err) == ErrnoException.EINVAL && eitherKind) {
                // The device exists with the other queue flag: one queue works on either kind.
                ifreq.set(JAVA_SHORT, IFNAMSIZ, flags(!multiQueue));
                result = Libc.ioctl(err, fd, TUNSETIFF, ifreq);
            }
            if (result < 0) {
                int e = Libc.errno(err);
                Libc.close(fd);
                throw new ErrnoException("cannot attach to TUN device " + name + (e != ErrnoException.EINVAL ? ""
                        : multiQueue ? " (several workers need a multi-queue device: it exists as another kind, or "
                        + "without multi_queue; create it with `ip tuntap add mode tun multi_queue dev " + name
                        + "`, or let Ferry create it)"
                        : " (it exists as another kind of device)"), e);
            }
            int wakeFd = Libc.eventfd(err, 0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            if (wakeFd < 0) {
                int e = Libc.errno(err);
                Libc.close(fd);
                throw new ErrnoException("cannot create an eventfd for device " + name, e);
            }
            try {
                InterfaceFlags.bringUp(name);
            } catch (ErrnoException e) {
                Libc.close(fd);
                Libc.close(wakeFd);
                throw e;
            }
            return new TunDevice(name, fd, wakeFd);
        }
    }

    private static short flags(boolean multiQueue) {
        return (short) (IFF_TUN | IFF_NO_PI | (multiQueue ? IFF_MULTI_QUEUE : 0));
    }

    @Override
    public String name() {
        return name;
    }

    /** The queue's descriptor, for {@link IoUringTunDevice}, which drives it through its ring. */
    int fd() {
        return fd;
    }

    @Override
    public int read(MemorySegment buffer, int timeoutMillis) throws IOException {
        while (open) {
            long n = Libc.read(errno, fd, buffer, Math.min(buffer.byteSize(), MAX_PACKET));
            if (n >= 0) {
                return (int) n;
            }
            int e = Libc.errno(errno);
            if (e == Libc.EINTR) {
                continue;
            }
            if (e != Libc.EAGAIN) {
                throw new ErrnoException("read from " + name, e);
            }
            int ready = Libc.poll(errno, pollFds, 2, timeoutMillis);
            if (ready == 0) {
                return 0;
            }
            if (ready < 0) {
                if (Libc.errno(errno) != Libc.EINTR) {
                    throw new ErrnoException("poll on " + name, Libc.errno(errno));
                }
                continue;
            }
            if ((pollFds.get(JAVA_SHORT, POLLFD_SIZE + 6) & Libc.POLLIN) != 0) {
                Libc.read(errno, wakeFd, drained, 8); // resets the counter; the worker looks at what it was handed
                return 0;
            }
        }
        return 0;
    }

    @Override
    public void wakeup() {
        if (open) {
            Libc.write(wakeErrno, wakeFd, one, 8);
        }
    }

    @Override
    public void write(MemorySegment packet, int length) throws IOException {
        long n = Libc.write(errno, fd, packet, length);
        if (n < 0) {
            throw new ErrnoException("write to " + name, Libc.errno(errno));
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public synchronized void close() {
        if (open) {
            open = false;
            Libc.close(fd);
            Libc.close(wakeFd);
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "tun " + name;
    }
}
