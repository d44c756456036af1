package dev.ferry.director.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.NetworkInterface;
import java.net.SocketException;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An AF_PACKET socket on one Ethernet interface ({@code socket(AF_PACKET, SOCK_DGRAM, 0)}, as {@code packet(7)}
 * describes): each send hands the kernel an IPv4 packet and a destination MAC, and the kernel puts the Ethernet
 * header (the interface's own MAC as source, type IPv4) in front of it. Protocol 0 binds the socket to no
 * received traffic, so it queues nothing and costs the receive path nothing. Sends block while the interface's
 * queue is full rather than drop. Needs CAP_NET_RAW.
 *
 * <p>Threading: see {@link FrameSender}.
 */
public final class PacketSocket implements FrameSender {
    private static final int AF_PACKET = 17;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int ETH_P_IP = 0x0800;
    private static final int ETH_ALEN = 6;
    /** {@code struct sockaddr_ll}: family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8]. */
    private static final int SOCKADDR_LL = 20;
    private static final int ADDR_OFFSET = 12;

    private final String name;
    private final int mtu;
    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final MemorySegment to = arena.allocate(SOCKADDR_LL);
    private boolean open = true;

    private PacketSocket(String name, int index, int mtu, int fd) {
        this.name = name;
        this.mtu = mtu;
        this.fd = fd;
        to.set(JAVA_SHORT, 0, (short) AF_PACKET);
        to.set(JAVA_BYTE, 2, (byte) (ETH_P_IP >>> 8));
        to.set(JAVA_BYTE, 3, (byte) ETH_P_IP);
        to.set(JAVA_INT, 4, index);
        to.set(JAVA_BYTE, 11, (byte) ETH_ALEN);
    }

    /**
     * Opens a packet socket that sends on interface {@code name}.
     *
     * @throws ErrnoException without the interface, or without CAP_NET_RAW ({@link ErrnoException#isPermission()})
     */
    public static PacketSocket open(String name) throws ErrnoException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment err = Libc.newErrnoSlot(call);
            int index = Libc.ifNameToIndex(err, call.allocateFrom(name));
            if (index == 0) {
                throw new ErrnoException("no network interface '" + name + "' (interface: names the LAN the real "
                        + "servers of direct services are on)", Libc.errno(err));
            }
            int fd = Libc.socket(err, AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new ErrnoException("cannot open a packet socket on interface " + name, Libc.errno(err),
                        "CAP_NET_RAW");
            }
            return new PacketSocket(name, index, mtuOf(name), fd);
        }
    }

    private static int mtuOf(String name) {
        try {
            NetworkInterface nic = NetworkInterface.getByName(name);
            return nic != null && nic.getMTU() > 0 ? nic.getMTU() : 1500;
        } catch (SocketException e) {
            return 1500;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public void send(MemorySegment packet, int length, long mac) throws IOException {
        for (int i = 0; i < ETH_ALEN; i++) {
            to.set(JAVA_BYTE, ADDR_OFFSET + i, (byte) (mac >>> (8 * (ETH_ALEN - 1 - i))));
        }
        while (true) {
            long n = Libc.sendto(errno, fd, packet, length, 0, to, SOCKADDR_LL);
            if (n >= 0) {
                return;
            }
            int e = Libc.errno(errno);
            if (e != Libc.EINTR) {
                throw new ErrnoException("send on interface " + name, e);
            }
        }
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
        return "packet socket on " + name;
    }
}
