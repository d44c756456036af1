package dev.ferry.director;

import dev.ferry.director.packet.Ipv4;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The Ethernet addresses of a direct service's real servers on the director's {@code interface}, from the kernel's
 * neighbour table: VS/DR sends the client's packet unchanged in a frame to the server's MAC, so the director must
 * know it, and learns it as the kernel does. A MAC is 48 bits in the low bits of a {@code long}.
 */
public interface Neighbours {
    /** The answer for an address whose MAC is not known (not resolved yet, or resolution failed). */
    long UNKNOWN = AddressCache.NONE;

    /** The MAC of {@code address} on the interface, or {@link #UNKNOWN}. May block briefly. */
    long mac(int address);

    /** Makes the kernel resolve {@code address} (it sends the address a packet of its own). May block briefly. */
    void solicit(int address);

    /**
     * The neighbours the kernel knows on interface {@code name} ({@code /proc/net/arp} of the caller's network
     * namespace, complete entries only); a datagram from the director's own stack to the discard port makes the
     * kernel resolve an address it does not know.
     */
    static Neighbours onInterface(String name) {
        return new Neighbours() {
            @Override
            public long mac(int address) {
                try {
                    return ArpTable.find(Files.readAllLines(ArpTable.PATH), name, address);
                } catch (IOException | RuntimeException e) {
                    return UNKNOWN;
                }
            }

            @Override
            public void solicit(int address) {
                try (DatagramSocket s = new DatagramSocket()) {
                    InetAddress to = InetAddress.getByAddress(Ipv4.bytes(address));
                    s.send(new DatagramPacket(new byte[0], 0, new InetSocketAddress(to, DISCARD_PORT)));
                } catch (IOException | RuntimeException e) {
                    // No route, no socket: the next lookup finds no MAC again, which is what it would say anyway.
                }
            }
        };
    }

    /** The discard service's port (RFC 863), where an empty datagram asks nothing of a server. */
    int DISCARD_PORT = 9;

    /** Reading the kernel's IPv4 neighbour table as {@code /proc/net/arp} shows it. */
    final class ArpTable {
        static final Path PATH = Path.of("/proc/net/arp");
        /** {@code ATF_COM}: the entry is resolved. */
        private static final int COMPLETE = 0x2;

        private ArpTable() {
        }

        /**
         * The MAC of {@code address} on {@code device} in the lines of {@code /proc/net/arp}
         * ({@code IP address, HW type, Flags, HW address, Mask, Device}), or {@link #UNKNOWN}.
         */
        static long find(List<String> lines, String device, int address) {
            String ip = Ipv4.format(address);
            for (String line : lines) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 6 || !f[0].equals(ip) || !f[5].equals(device)) {
                    continue;
                }
                int flags = Integer.decode(f[2]);
                long mac = parseMac(f[3]);
                if ((flags & COMPLETE) != 0 && mac > 0) {
                    return mac;
                }
            }
            return UNKNOWN;
        }

        /** {@code aa:bb:cc:dd:ee:ff} as 48 bits, or {@link #UNKNOWN}. */
        static long parseMac(String text) {
            String[] parts = text.split(":");
            if (parts.length != 6) {
                return UNKNOWN;
            }
            long mac = 0;
            for (String part : parts) {
                if (part.length() != 2) {
                    return UNKNOWN;
                }
                mac = mac << 8 | Integer.parseInt(part, 16);
            }
            return mac;
        }

        /** 48 bits as {@code aa:bb:cc:dd:ee:ff}. */
        static String formatMac(long mac) {
            StringBuilder b = new StringBuilder(17);
            for (int shift = 40; shift >= 0; shift -= 8) {
                if (b.length() > 0) {
                    b.append(':');
                }
                b.append(String.format("%02x", (mac >>> shift) & 0xFF));
            }
            return b.toString();
        }
    }
}
