package dev.ferry.director;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A director's packet counters: one {@link Shard} per worker, which only that worker writes (a single writer, so an
 * increment is a plain read and an ordered write, no atomic read-modify-write); readers on other threads sum the
 * shards.
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
    private static final int HANDED_OVER = 9;
    private static final int ENTRIES_DROPPED = 10;
    private static final int DROPS = 11;

    private final Shard[] shards;

    /** The counters of a director with one worker. */
    public DirectorStats() {
        this(1);
    }

    public DirectorStats(int workers) {
        shards = new Shard[workers];
        for (int i = 0; i < workers; i++) {
            shards[i] = new Shard();
        }
    }

    /** The counters worker {@code worker} writes. */
    Shard shard(int worker) {
        return shards[worker];
    }

    private long sum(int i) {
        long n = 0;
        for (Shard s : shards) {
            n += s.counts.get(i);
        }
        return n;
    }

    /** One worker's counters: written by that worker only. */
    static final class Shard {
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

        void handedOver() {
            add(HANDED_OVER, 1);
        }

        void entriesDropped(int n) {
            add(ENTRIES_DROPPED, n);
        }

        void dropped(DropReason reason) {
            add(DROPS + reason.ordinal(), 1);
        }
    }

    /** Client-to-server packets forwarded. */
    public long inboundPackets() {
        return sum(IN_PACKETS);
    }

    public long inboundBytes() {
        return sum(IN_BYTES);
    }

    /** Server-to-client packets forwarded. */
    public long outboundPackets() {
        return sum(OUT_PACKETS);
    }

    public long outboundBytes() {
        return sum(OUT_BYTES);
    }

    /** Packets of no virtual service, written back unchanged (but for the TTL) to be routed normally. */
    public long passedPackets() {
        return sum(PASSED);
    }

    public long ipOptionPackets() {
        return sum(IP_OPTIONS);
    }

    public long firstFragments() {
        return sum(FIRST_FRAGMENTS);
    }

    /** ICMP errors about a tracked connection, forwarded with the quoted header rewritten. */
    public long icmpForwarded() {
        return sum(ICMP_FORWARDED);
    }

    /** ICMP errors the director sent itself (time exceeded, port unreachable). */
    public long icmpSent() {
        return sum(ICMP_SENT);
    }

    /**
     * Packets read by a worker whose connection another worker tracks, and handed to that one (with several
     * workers: the first packets of a flow, before the kernel steers the flow to its worker's queue).
     */
    public long handedOver() {
        return sum(HANDED_OVER);
    }

    /** Half-open entries the SYN-flood defence ({@code drop_entry}) removed from the tables. */
    public long entriesDropped() {
        return sum(ENTRIES_DROPPED);
    }

    public long drops(DropReason reason) {
        return sum(DROPS + reason.ordinal());
    }
}
