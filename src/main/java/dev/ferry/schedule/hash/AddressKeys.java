package dev.ferry.schedule.hash;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Keys derived from socket addresses, as the IPVS hashing schedulers see them.
 *
 * <p>Threading: stateless, safe from any thread. Never resolves names (no DNS on the pick path).
 */
public final class AddressKeys {
    private AddressKeys() {
    }

    /**
     * The 32-bit value IPVS hashes for an address: an IPv4 address in host order (10.0.0.1 = 0x0A000001); for IPv6
     * the XOR of its four 32-bit words. An unresolved address (a host name, e.g. an HTTP Host) folds its name's hash.
     */
    public static int ipvsValue(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            long h = Hash64.of(address.getHostString().toLowerCase(java.util.Locale.ROOT));
            return (int) (h ^ (h >>> 32));
        }
        byte[] b = ip.getAddress();
        int v = 0;
        for (int i = 0; i < b.length; i += 4) {
            v ^= (b[i] & 0xFF) << 24 | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
        }
        return v;
    }

    /**
     * A 64-bit identity for an address, without its port, for maps keyed by destination (lblc, lblcr): an IPv4
     * address is its own 32-bit value (no collisions); IPv6 addresses and host names are hashed to 64 bits.
     */
    public static long locality(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet4Address) {
            return ipvsValue(address) & 0xFFFF_FFFFL;
        }
        if (ip == null) {
            return Hash64.of(address.getHostString().toLowerCase(java.util.Locale.ROOT));
        }
        byte[] b = ip.getAddress();
        return Hash64.of(b, 0, b.length);
    }

    /** A well-mixed 64-bit hash of the full address, and of its port when {@code withPort}. */
    public static long mixed(InetSocketAddress address, boolean withPort) {
        long h = locality(address);
        return withPort ? Hash64.mix(h, address.getPort()) : Hash64.mix(h);
    }
}
