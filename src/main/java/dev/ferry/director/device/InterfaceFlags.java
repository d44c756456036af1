package dev.ferry.director.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** Brings a network interface up ({@code SIOCGIFFLAGS}, then {@code SIOCSIFFLAGS} with {@code IFF_UP}). */
final class InterfaceFlags {
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCSIFFLAGS = 0x8914;
    private static final short IFF_UP = 0x1;

    private InterfaceFlags() {
    }

    static void bringUp(String name) throws ErrnoException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment err = Libc.newErrnoSlot(call);
            int sock = Libc.socket(err, AF_INET, SOCK_DGRAM, 0);
            if (sock < 0) {
                throw new ErrnoException("cannot open a control socket", Libc.errno(err));
            }
            try {
                MemorySegment ifreq = call.allocate(TunDevice.IFREQ_SIZE);
                byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
                MemorySegment.copy(bytes, 0, ifreq, JAVA_BYTE, 0, bytes.length);
                if (Libc.ioctl(err, sock, SIOCGIFFLAGS, ifreq) < 0) {
                    throw new ErrnoException("cannot read the flags of " + name, Libc.errno(err));
                }
                short flags = ifreq.get(JAVA_SHORT, TunDevice.IFNAMSIZ);
                if ((flags & IFF_UP) == 0) {
                    ifreq.set(JAVA_SHORT, TunDevice.IFNAMSIZ, (short) (flags | IFF_UP));
                    if (Libc.ioctl(err, sock, SIOCSIFFLAGS, ifreq) < 0) {
                        throw new ErrnoException("cannot bring " + name + " up", Libc.errno(err));
                    }
                }
            } finally {
                Libc.close(sock);
            }
        }
    }
}
