package dev.ferry.proxy.admission;

import dev.ferry.config.Cidr;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A compiled set of networks: the networks as disjoint, sorted ranges of 128-bit addresses (IPv4 as IPv4-mapped
 * IPv6, see {@link Cidr}), looked up by binary search. A check costs O(log n) comparisons and allocates nothing for
 * an IPv4 source (an IPv6 source's 16 bytes are copied once by {@link InetAddress#getAddress()}).
 *
 * <p>Threading: immutable once built; any thread.
 */
public final class NetworkSet {
    public static final NetworkSet EMPTY = new NetworkSet(List.of());

    private final long[] startHigh;
    private final long[] startLow;
    private final long[] endHigh;
    private final long[] endLow;

    public NetworkSet(List<Cidr> networks) {
        List<long[]> ranges = new ArrayList<>();
        for (Cidr c : networks) {
            ranges.add(new long[]{c.high(), c.low(), c.lastHigh(), c.lastLow()});
        }
        ranges.sort((a, b) -> compare(a[0], a[1], b[0], b[1]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : ranges) {
            long[] last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && compare(r[0], r[1], last[2], last[3]) <= 0) {
                // Overlapping (a network inside another, or the same twice): one range to its farther end.
                if (compare(r[2], r[3], last[2], last[3]) > 0) {
                    last[2] = r[2];
                    last[3] = r[3];
                }
            } else {
                merged.add(r);
            }
        }
        int n = merged.size();
        startHigh = new long[n];
        startLow = new long[n];
        endHigh = new long[n];
        endLow = new long[n];
        for (int i = 0; i < n; i++) {
            long[] r = merged.get(i);
            startHigh[i] = r[0];
            startLow[i] = r[1];
            endHigh[i] = r[2];
            endLow[i] = r[3];
        }
    }

    /** Unsigned comparison of two 128-bit values. */
    static int compare(long aHigh, long aLow, long bHigh, long bLow) {
        int c = Long.compareUnsigned(aHigh, bHigh);
        return c != 0 ? c : Long.compareUnsigned(aLow, bLow);
    }

    public boolean isEmpty() {
        return startHigh.length == 0;
    }

    /** The number of disjoint ranges after merging (for tests). */
    int ranges() {
        return startHigh.length;
    }

    public boolean contains(InetAddress address) {
        if (startHigh.length == 0) {
            return false;
        }
        if (address instanceof Inet4Address) {
            return contains(0, Cidr.V4_MAPPED_LOW_PREFIX | (ipv4(address) & 0xffffffffL));
        }
        byte[] b = address.getAddress();
        return contains(toLong(b, 0), toLong(b, 8));
    }

    /**
     * An IPv4 address as an int without a copy: {@link Inet4Address#hashCode()} is the address itself (it has been
     * since JDK 1.0, and {@code NetworkSetTest} holds it to that).
     */
    static int ipv4(InetAddress v4) {
        return v4.hashCode();
    }

    static long toLong(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    /** Whether the 128-bit address {@code high:low} is in one of the networks. */
    public boolean contains(long high, long low) {
        int lo = 0;
        int hi = startHigh.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(startHigh[mid], startLow[mid], high, low) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && compare(high, low, endHigh[found], endLow[found]) <= 0;
    }
}
