package dev.ferry.dns;

import dev.ferry.backend.Server;

import java.util.ArrayList;
import java.util.List;

/**
 * Chooses which servers a backend-backed record answers with, and in what order. The first record of each answer
 * is chosen by smooth weighted round-robin (nginx's algorithm), so over many queries each server comes first in
 * proportion to its weight, and consecutive answers start with different servers; the rest of the answer follows
 * the first in list order, around the ring, so an answer never repeats a server.
 *
 * <p>Threading: {@link #choose} is synchronized; it runs once per query, from any event loop.
 */
final class WeightedRotation {
    private List<Server> servers = List.of();
    private int[] weights = new int[0];
    private long[] current = new long[0];

    /**
     * Up to {@code count} of {@code candidates} (0 = all of them), in answer order.
     *
     * @param candidates the servers that may be answered, in list order; their weights taken as they are now
     *                   (a weight of 0 counts as 1, so that a fallback to every server still rotates)
     */
    synchronized List<Server> choose(List<Server> candidates, int count) {
        int n = candidates.size();
        if (n == 0) {
            return List.of();
        }
        refresh(candidates);
        long total = 0;
        int best = 0;
        for (int i = 0; i < n; i++) {
            current[i] += weights[i];
            total += weights[i];
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        int k = count <= 0 || count > n ? n : count;
        List<Server> chosen = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            chosen.add(servers.get((best + j) % n));
        }
        return chosen;
    }

    /** Keeps the rotation's state while the candidates and their weights stay the same; starts over otherwise. */
    private void refresh(List<Server> candidates) {
        boolean same = candidates.size() == servers.size();
        for (int i = 0; same && i < candidates.size(); i++) {
            same = candidates.get(i) == servers.get(i) && Math.max(1, candidates.get(i).weight()) == weights[i];
        }
        if (!same) {
            servers = List.copyOf(candidates);
            weights = new int[servers.size()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = Math.max(1, servers.get(i).weight());
            }
            current = new long[servers.size()];
        }
    }
}
