package dev.ferry.schedule;

import java.util.List;

/**
 * The fixed-size server tables of dh and sh, built once per snapshot and then only read (so picks need no lock).
 */
final class BucketTable {
    private BucketTable() {
    }

    /** dh (spec §2.12): bucket {@code b} holds server {@code b mod n} in list order; weights are ignored. */
    static Member[] roundRobin(List<? extends Member> servers, int size) {
        Member[] buckets = new Member[size];
        if (!servers.isEmpty()) {
            for (int b = 0; b < size; b++) {
                buckets[b] = servers.get(b % servers.size());
            }
        }
        return buckets;
    }

    /**
     * sh (spec §2.13): walking the list cyclically, each server takes {@code max(weight, 1)} consecutive buckets, so a
     * weight-0 server still holds one bucket per cycle.
     */
    static Member[] weightedRuns(List<? extends Member> servers, int size) {
        Member[] buckets = new Member[size];
        if (servers.isEmpty()) {
            return buckets;
        }
        int server = 0;
        int taken = 0;
        for (int b = 0; b < size; b++) {
            Member s = servers.get(server);
            buckets[b] = s;
            if (++taken >= s.weight()) {
                server = (server + 1) % servers.size();
                taken = 0;
            }
        }
        return buckets;
    }
}
