package dev.ferry.config;

import io.netty.util.NetUtil;

/**
 * One network of an access rule, as written ({@code 10.0.0.0/8}, {@code 192.0.2.7}, {@code 2001:db8::/32},
 * {@code ::1}): a single address is a /32 (IPv4) or /128 (IPv6). Held as a 128-bit prefix so that one matcher serves
 * both families: an IPv4 network is the IPv4-mapped IPv6 network {@code ::ffff:a.b.c.d/(96 + bits)}, which is also
 * how a dual-stack socket reports IPv4 clients. Host bits below the prefix are cleared. Immutable.
 *
 * @param high   the first 64 bits of the network address
 * @param low    the last 64 bits
 * @param bits   the prefix length in the 128-bit space (0..128)
 * @param text   the network as written, for messages and the reload report
 */
public record Cidr(long high, long low, int bits, String text) {
    /** The first 64 bits of every IPv4-mapped address: {@code ::ffff:0:0/96} has {@code 0} then {@code 0xffff}. */
    public static final long V4_MAPPED_HIGH = 0L;
    public static final long V4_MAPPED_LOW_PREFIX = 0xffffL << 32;

    public Cidr {
        if (bits < 0 || bits > 128) {
            throw new IllegalArgumentException("prefix length " + bits + " is out of range");
        }
        high &= mask(bits);
        low &= mask(bits - 64);
    }

    /** The mask of the first {@code bits} bits of a 64-bit half ({@code bits} may be below 0 or above 64). */
    public static long mask(int bits) {
        if (bits <= 0) {
            return 0;
        }
        return bits >= 64 ? -1L : -1L << (64 - bits);
    }

    /**
     * Reads {@code ADDRESS} or {@code ADDRESS/BITS} (IPv4 or IPv6 literal; no host names, so no lookup ever runs).
     *
     * @throws IllegalArgumentException with a message that says what is allowed
     */
    public static Cidr parse(String spec) {
        String s = spec.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        if (address.startsWith("[") && address.endsWith("]")) {
            address = address.substring(1, address.length() - 1);
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        if (bytes == null || address.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "' is not a network; write an address or ADDRESS/BITS, "
                    + "e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 or ::1 (no host names)");
        }
        boolean v4 = bytes.length == 4;
        int max = v4 ? 32 : 128;
        int prefix = max;
        if (slash >= 0) {
            String b = s.substring(slash + 1);
            if (!b.matches("[0-9]{1,3}") || Integer.parseInt(b) > max) {
                throw new IllegalArgumentException("'" + spec + "': the prefix length after '/' must be 0.." + max
                        + " for an " + (v4 ? "IPv4" : "IPv6") + " network");
            }
            prefix = Integer.parseInt(b);
        }
        long high;
        long low;
        if (v4) {
            high = V4_MAPPED_HIGH;
            low = V4_MAPPED_LOW_PREFIX | (toLong(bytes, 0, 4) & 0xffffffffL);
            prefix += 96;
        } else {
            high = toLong(bytes, 0, 8);
            low = toLong(bytes, 8, 8);
        }
        return new Cidr(high, low, prefix, s);
    }

    private static long toLong(byte[] b, int from, int n) {
        long v = 0;
        for (int i = from; i < from + n; i++) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    /** The last address of the network, first half. */
    public long lastHigh() {
        return high | ~mask(bits);
    }

    /** The last address of the network, second half. */
    public long lastLow() {
        return low | ~mask(bits - 64);
    }

    @Override
    public String toString() {
        return text;
    }
}
