package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A raw IPv4 socket of one IP protocol ({@code socket(AF_INET, SOCK_RAW, protocol)}): a read returns one whole
 * datagram addressed to this host with that protocol, its IP header included, as the kernel hands a copy of every
 * such packet to the raw sockets of its protocol (when no handler in the kernel takes the protocol, the raw socket
 * also keeps the kernel from answering "protocol unreachable"). Reading only: {@link #write} is refused. As
 * {@link TunDevice}, the descriptor is non-blocking, a read polls only when nothing is queued, and {@link #wakeup}
 * ends a wait at once.
 *
 * <p>Threading: see {@link PacketDevice}.
 */
public final class RawIpSocket implements PacketDevice {
    private static final int AF_INET = 2;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int POLLFD_SIZE = 8;

    private final int protocol;
    private final int fd;
    private final int wakeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final MemorySegment wakeErrno = Libc.newErrnoSlot(arena);
    private final MemorySegment pollFds = arena.allocate(2 * POLLFD_SIZE);
    private final MemorySegment one = arena.allocate(8);
    private final MemorySegment drained = arena.allocate(8);
    private volatile boolean open = true;

    private RawIpSocket(int protocol, int fd, int wakeFd) {
        this.protocol = protocol;
        this.fd = fd;
        this.wakeFd = wakeFd;
        pollFds.set(JAVA_INT, 0, fd);
        pollFds.set(JAVA_SHORT, 4, Libc.POLLIN);
        pollFds.set(JAVA_INT, POLLFD_SIZE, wakeFd);
        pollFds.set(JAVA_SHORT, POLLFD_SIZE + 4, Libc.POLLIN);
        one.set(JAVA_LONG, 0, 1L);
    }

    /**
     * Opens a raw socket of IP protocol {@code protocol} (4 for IPIP).
     *
     * @throws ErrnoException without CAP_NET_RAW ({@link ErrnoException#isPermission()})
     */
    public static RawIpSocket open(int protocol) throws ErrnoException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment err = Libc.newErrnoSlot(call);
            int fd = Libc.socket(err, AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
            if (fd < 0) {
                throw new ErrnoException("cannot open a raw socket of IP protocol " + protocol, Libc.errno(err),
                        "CAP_NET_RAW");
            }
            int wakeFd = Libc.eventfd(err, 0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
            if (wakeFd < 0) {
                int e = Libc.errno(err);
                Libc.close(fd);
                throw new ErrnoException("cannot create an eventfd", e);
            }
            return new RawIpSocket(protocol, fd, wakeFd);
        }
    }

    @Override
    public String name() {
        return "raw socket of IP protocol " + protocol;
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
                throw new ErrnoException("read from the " + name(), e);
            }
            int ready = Libc.poll(errno, pollFds, 2, timeoutMillis);
            if (ready == 0) {
                return 0;
            }
            if (ready < 0) {
                if (Libc.errno(errno) != Libc.EINTR) {
                    throw new ErrnoException("poll on the " + name(), Libc.errno(errno));
                }
                continue;
            }
            if ((pollFds.get(JAVA_SHORT, POLLFD_SIZE + 6) & Libc.POLLIN) != 0) {
                Libc.read(errno, wakeFd, drained, 8);
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

    /** Refused: this socket only reads. */
    @Override
    public void write(MemorySegment packet, int length) throws IOException {
        throw new IOException("the " + name() + " only reads");
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
        return name();
    }
}
