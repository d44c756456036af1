package dev.ferry.schedule;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The overload flags of one snapshot's servers, mirrored into one flat array by position, for a scheduler that tests
 * many servers per pick (wrr): reading a flag here costs no cache miss on the server's own object.
 *
 * <p>Each position holds {@code (stamp << 1) | flag}. A copy reads that word, then the server's flag, and
 * compare-and-sets the word with the stamp incremented; done up to twice per change, the last successful copy read
 * the flag after the change (the argument of {@link LoadIndexTree}), so once changes stop every position holds its
 * server's flag. Lock-free; any thread.
 */
final class OverloadFlags {
    static final OverloadFlags EMPTY = new OverloadFlags(new Member[0]);

    private final Member[] servers;
    private final AtomicLongArray words;

    OverloadFlags(Member[] servers) {
        this.servers = servers;
        this.words = new AtomicLongArray(servers.length);
        for (int i = 0; i < servers.length; i++) {
            words.set(i, servers[i].isOverloaded() ? 1 : 0);
        }
    }

    boolean overloaded(int i) {
        return (words.get(i) & 1) != 0;
    }

    /** The position of {@code server} here, or -1 when it is not one of these servers. */
    int positionOf(Member server) {
        int i = server.index();
        return i >= 0 && i < servers.length && servers[i] == server ? i : -1;
    }

    /** Copies position {@code i}'s flag after its server's counters (and so perhaps its flag) changed. */
    void refresh(int i) {
        if (!copy(i)) {
            copy(i);
        }
    }

    /** Copies every flag: catches changes that were reported to an older mirror. */
    void refreshAll() {
        for (int i = 0; i < servers.length; i++) {
            refresh(i);
        }
    }

    private boolean copy(int i) {
        long old = words.get(i);
        long flag = servers[i].isOverloaded() ? 1 : 0;
        return words.compareAndSet(i, old, (((old >>> 1) + 1) << 1) | flag);
    }
}
