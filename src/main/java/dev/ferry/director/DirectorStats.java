package dev.ferry.director;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A director's packet counters. Each worker writes its own (a single writer, so an increment is a plain read and
 * an ordered write, no atomic read-modify-write); readers on other threads sum them.
 */
public final class DirectorStats {
    private static final int IN_PACKETS = 0;
    private static final int IN_BYTES = 1;
    private static final int OUT_PACKETS = 2;
    private static final int OUT_BYTES = 3;
    private static final int PASSED = 4;
    private static final int IP_OPTIONS = 5;
    private static final int FIRST_FRAGMENTS = 6;
    private static final int ICMP_FORWARDED = 7;
    private static final int ICMP_SENT = 8;
    private static final int DROPS = 9;

    private final AtomicLongArray counts = new AtomicLongArray(DROPS + DropReason.values().length);

    private void add(int i, long n) {
        counts.lazySet(i, counts.get(i) + n);
    }

    void inbound(int bytes) {
        add(IN_PACKETS, 1);
        add(IN_BYTES, bytes);
    }

    void outbound(int bytes) {
        add(OUT_PACKETS, 1);
        add(OUT_BYTES, bytes);
    }

    void passed() {
        add(PASSED, 1);
    }

    void ipOptions() {
        add(IP_OPTIONS, 1);
    }

    void firstFragment() {
        add(FIRST_FRAGMENTS, 1);
    }

    void countIcmpForwarded() {
        add(ICMP_FORWARDED, 1);
    }

    void countIcmpSent() {
        add(ICMP_SENT, 1);
    }

    void dropped(DropReason reason) {
        add(DROPS + reason.ordinal(), 1);
    }

    /** Client-to-server packets forwarded. */
    public long inboundPackets() {
        return counts.get(IN_PACKETS);
    }

    public long inboundBytes() {
        return counts.get(IN_BYTES);
    }

    /** Server-to-client packets forwarded. */
    public long outboundPackets() {
        return counts.get(OUT_PACKETS);
    }

    public long outboundBytes() {
        return counts.get(OUT_BYTES);
    }

    /** Packets of no virtual service, written back unchanged (but for the TTL) to be routed normally. */
    public long passedPackets() {
        return counts.get(PASSED);
    }

    public long ipOptionPackets() {
        return counts.get(IP_OPTIONS);
    }

    public long firstFragments() {
        return counts.get(FIRST_FRAGMENTS);
    }

    /** ICMP errors about a tracked connection, forwarded with the quoted header rewritten. */
    public long icmpForwarded() {
        return counts.get(ICMP_FORWARDED);
    }

    /** ICMP errors the director sent itself (time exceeded, port unreachable). */
    public long icmpSent() {
        return counts.get(ICMP_SENT);
    }

    public long drops(DropReason reason) {
        return counts.get(DROPS + reason.ordinal());
    }
}
