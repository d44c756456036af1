package dev.ferry.schedule;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A tournament tree over the positions of one snapshot's servers that holds, for every subtree, the server IPVS's
 * least-load scan would choose among that subtree's servers. A pick reads the root (O(1); O(k log n) to avoid k
 * servers); a load change replays the matches on the path from the server's leaf towards the root (O(log n), and
 * usually less: the replay stops where the change stops mattering).
 *
 * <p>Layout: an implicit binary tree over {@code leaves} (a power of two, at least 2) positions. Internal node
 * {@code k} (1 &le; k &lt; leaves) has children {@code 2k} and {@code 2k+1}; node {@code leaves + i} is the leaf of
 * position {@code i}. Leaves are not stored: a leaf's winner is its own position when that server is eligible now,
 * else none. An internal node stores {@code (stamp << 32) | (winner + 1)}, winner -1 meaning none. A match between
 * two children's winners reads both servers' live counters and keeps the left (earlier) one unless the right one
 * is strictly better, which is exactly IPVS's "strict improvement keeps the first" rule.
 *
 * <p>Thread safety (lock-free, wait-free per call): counters change on any event loop, each change followed by
 * {@link #refreshPath}. A refresh of node k reads the node, replays its match from the children's current values
 * and compare-and-sets the result with the stamp incremented; the stamp rules out ABA, so a successful CAS means no
 * other write to k happened between its read of k and its write. Each level is refreshed up to twice (Jayanti's
 * f-array technique): if our first CAS fails, another refresh succeeded after our first read; if the second fails
 * too, another refresh R succeeded after our second read started, and R read k after that first success, hence
 * read the children after our own change was already visible below. Either way, once {@code refreshPath} returns,
 * some successful write to every ancestor has seen our change. The walk may stop early: when our own successful
 * write leaves a node's winner unchanged and that winner is another server, the ancestors' inputs (that node's
 * winner and its live counters) do not depend on our change at all. By induction from the leaves, once load
 * changes stop, every node holds the exact winner of its subtree under the final counters. While changes are in
 * flight a pick may see a winner that is a few nanoseconds stale, as IPVS's unlocked scan may.
 */
final class LoadIndexTree {
    private static final long WINNER_MASK = 0xFFFF_FFFFL;

    /** No servers: no match is ever played, so it needs no order. */
    static final LoadIndexTree EMPTY = new LoadIndexTree(List.of(), null);

    private final Member[] servers;
    private final LoadOrder order;
    private final int leaves;
    private final AtomicLongArray nodes;

    LoadIndexTree(List<? extends Member> servers, LoadOrder order) {
        this.servers = servers.toArray(new Member[0]);
        this.order = order;
        this.leaves = Math.max(2, Integer.highestOneBit(Math.max(1, this.servers.length - 1)) << 1);
        this.nodes = new AtomicLongArray(leaves);
        for (int k = leaves - 1; k >= 1; k--) {
            nodes.set(k, match(winnerOf(2 * k), winnerOf(2 * k + 1)) + 1);
        }
    }

    int size() {
        return servers.length;
    }

    /** The position of {@code server} in this tree, or -1 when it is not one of its servers. */
    int positionOf(Member server) {
        int i = server.index();
        return i >= 0 && i < servers.length && servers[i] == server ? i : -1;
    }

    /** The server IPVS's scan would choose now, or null when none is eligible. */
    Member best() {
        int w = winnerOf(1);
        return w < 0 ? null : servers[w];
    }

    /** As {@link #best()}, but never one of {@code avoided}: positions in this tree, sorted ascending. */
    Member bestAvoiding(int[] avoided, int count) {
        int w = winnerAvoiding(1, 0, leaves, avoided, 0, count);
        return w < 0 ? null : servers[w];
    }

    /**
     * Replays the matches from position {@code i}'s leaf towards the root after that server's counters changed,
     * stopping as soon as a replay of ours leaves a node's winner as it was and that winner is another server: then
     * nothing above can see the change.
     */
    void refreshPath(int i) {
        for (int k = (leaves + i) >>> 1; k >= 1; k >>>= 1) {
            int outcome = refresh(k, i);
            if (outcome == LOST) {
                outcome = refresh(k, i);
            }
            if (outcome == HIDDEN) {
                return;
            }
        }
    }

    /** Replays every match, bottom-up: catches changes that were reported to an older tree. O(n). */
    void refreshAll() {
        for (int k = leaves - 1; k >= 1; k--) {
            if (refresh(k, -1) == LOST) {
                refresh(k, -1);
            }
        }
    }

    /** Outcomes of {@link #refresh}: our CAS failed; it succeeded; it succeeded and hid {@code changed} from above. */
    private static final int LOST = 0;
    private static final int WRITTEN = 1;
    private static final int HIDDEN = 2;

    private int refresh(int k, int changed) {
        long old = nodes.get(k);
        int before = (int) (old & WINNER_MASK) - 1;
        int winner = match(winnerOf(2 * k), winnerOf(2 * k + 1));
        long stamp = (old >>> 32) + 1;
        if (!nodes.compareAndSet(k, old, (stamp << 32) | (winner + 1))) {
            return LOST;
        }
        return winner == before && winner != changed ? HIDDEN : WRITTEN;
    }

    private int winnerOf(int node) {
        if (node >= leaves) {
            int i = node - leaves;
            return i < servers.length && order.eligible(servers[i]) ? i : -1;
        }
        return (int) (nodes.get(node) & WINNER_MASK) - 1;
    }

    private int winnerAvoiding(int node, int lo, int hi, int[] avoided, int from, int to) {
        if (from == to) {
            return winnerOf(node);
        }
        if (node >= leaves) {
            return -1;
        }
        int mid = (lo + hi) >>> 1;
        int split = from;
        while (split < to && avoided[split] < mid) {
            split++;
        }
        return match(winnerAvoiding(2 * node, lo, mid, avoided, from, split),
                winnerAvoiding(2 * node + 1, mid, hi, avoided, split, to));
    }

    /** Left is earlier in list order, so it keeps ties. */
    private int match(int left, int right) {
        if (left < 0) {
            return right;
        }
        if (right < 0) {
            return left;
        }
        return order.better(servers[right], servers[left]) ? right : left;
    }

    @Override
    public String toString() {
        return "LoadIndexTree" + Arrays.toString(servers);
    }
}
