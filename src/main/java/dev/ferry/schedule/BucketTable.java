package dev.ferry.schedule;

import dev.ferry.backend.Server;

import java.util.List;

/**
 * The fixed-size server tables of dh and sh, built once per snapshot and then only read (so picks need no lock).
 */
final class BucketTable {
    private BucketTable() {
    }

    /** dh (spec §2.12): bucket {@code b} holds server {@code b mod n} in list order; weights are ignored. */
    static Server[] roundRobin(List<Server> servers, int size) {
        Server[] buckets = new Server[size];
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
    static Server[] weightedRuns(List<Server> servers, int size) {
        Server[] buckets = new Server[size];
        if (servers.isEmpty()) {
            return buckets;
        }
        int server = 0;
        int taken = 0;
        for (int b = 0; b < size; b++) {
            Server s = servers.get(server);
            buckets[b] = s;
            if (++taken >= s.weight()) {
                server = (server + 1) % servers.size();
                taken = 0;
            }
        }
        return buckets;
    }
}
