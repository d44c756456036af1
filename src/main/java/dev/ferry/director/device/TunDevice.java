package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One queue of a Linux TUN device ({@code IFF_TUN | IFF_NO_PI}, and {@code IFF_MULTI_QUEUE} when the director has
 * several workers), opened through {@code /dev/net/tun} with {@code TUNSETIFF}; the device is created when it does
 * not exist and brought up. The descriptor is non-blocking: a read drains what is queued without a poll and polls
 * only when the queue is empty, so a busy queue costs one system call per packet.
 *
 * <p>Threading: see {@link PacketDevice}; the errno slot and the poll descriptor belong to the reading thread.
 */
public final class TunDevice implements PacketDevice {
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_MULTI_QUEUE = 0x0100;
    /** {@code struct ifreq}: a 16-byte name, then a union whose first member here is the short flags. */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;

    private final String name;
    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final MemorySegment pollFd = arena.allocate(8);
    private volatile boolean open = true;

    private TunDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
        pollFd.set(JAVA_INT, 0, fd);
        pollFd.set(JAVA_SHORT, 4, Libc.POLLIN);
    }

    /**
     * Opens a queue of TUN device {@code name}, creating the device when missing, and brings the device up.
     *
     * @throws ErrnoException without CAP_NET_ADMIN, without {@code /dev/net/tun}, or when {@code name} is a
     *                        device of another kind
     */
    public static TunDevice open(String name, boolean multiQueue) throws ErrnoException {
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
            short flags = (short) (IFF_TUN | IFF_NO_PI | (multiQueue ? IFF_MULTI_QUEUE : 0));
            ifreq.set(JAVA_SHORT, IFNAMSIZ, flags);
            if (Libc.ioctl(err, fd, TUNSETIFF, ifreq) < 0) {
                int e = Libc.errno(err);
                Libc.close(fd);
                throw new ErrnoException("cannot attach to TUN device " + name
                        + (e == ErrnoException.EINVAL ? " (it exists as another kind of device, or with other "
                        + "queue flags)" : ""), e);
            }
            try {
                InterfaceFlags.bringUp(name);
            } catch (ErrnoException e) {
                Libc.close(fd);
                throw e;
            }
            return new TunDevice(name, fd);
        }
    }

    @Override
    public String name() {
        return name;
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
            int ready = Libc.poll(errno, pollFd, 1, timeoutMillis);
            if (ready == 0) {
                return 0;
            }
            if (ready < 0 && Libc.errno(errno) != Libc.EINTR) {
                throw new ErrnoException("poll on " + name, Libc.errno(errno));
            }
        }
        return 0;
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
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "tun " + name;
    }
}
