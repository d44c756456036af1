package dev.ferry.director.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Gives a network interface an IPv4 address with a netmask ({@code SIOCSIFADDR}, then {@code SIOCSIFNETMASK}, as
 * {@code ifconfig NAME ADDRESS netmask MASK} does): the interface's primary address is replaced, and the kernel adds
 * the address's local route. A /32 on a TUN device makes the host take packets to that address as its own while
 * answering no ARP for it (a TUN device has no link layer).
 */
public final class InterfaceAddress {
    private static final short AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final long SIOCSIFADDR = 0x8916;
    private static final long SIOCSIFNETMASK = 0x891c;
    /** In {@code struct ifreq}, after the name: {@code struct sockaddr_in} (family, port, address). */
    private static final int SIN_ADDR = TunDevice.IFNAMSIZ + 4;

    private InterfaceAddress() {
    }

    /** Sets {@code address}/{@code netmask} (ints, {@code 10.0.0.1} is {@code 0x0A000001}) on {@code name}. */
    public static void set(String name, int address, int netmask) throws ErrnoException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment err = Libc.newErrnoSlot(call);
            int sock = Libc.socket(err, AF_INET, SOCK_DGRAM, 0);
            if (sock < 0) {
                throw new ErrnoException("cannot open a control socket", Libc.errno(err));
            }
            try {
                MemorySegment ifreq = ifreq(call, name, address);
                if (Libc.ioctl(err, sock, SIOCSIFADDR, ifreq) < 0) {
                    throw new ErrnoException("cannot give " + name + " its address", Libc.errno(err));
                }
                ifreq = ifreq(call, name, netmask);
                if (Libc.ioctl(err, sock, SIOCSIFNETMASK, ifreq) < 0) {
                    throw new ErrnoException("cannot set the netmask of " + name, Libc.errno(err));
                }
            } finally {
                Libc.close(sock);
            }
        }
    }

    private static MemorySegment ifreq(Arena call, String name, int address) {
        MemorySegment ifreq = call.allocate(TunDevice.IFREQ_SIZE);
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(bytes, 0, ifreq, JAVA_BYTE, 0, bytes.length);
        ifreq.set(JAVA_SHORT, TunDevice.IFNAMSIZ, AF_INET);
        ifreq.set(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), SIN_ADDR, address);
        return ifreq;
    }
}
