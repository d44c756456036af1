package dev.ferry.schedule;

import java.util.Arrays;
import java.util.List;

/**
 * Base of the least-load schedulers ({@code lc}, {@code wlc}, {@code sed}, {@code nq}, {@code fo}, {@code ovf}):
 * each subclass states its IPVS rule as a {@link LoadOrder}, and this class answers picks with exactly the server
 * IPVS's O(n) scan would return (the first of the best in list order), from a {@link LoadIndexTree} in O(1) per pick
 * (O(k log n) when the best server is one of k to avoid) and at most O(log n) per load change.
 *
 * <p>Threading: {@link #pick} and {@link #loadChanged} are lock-free and run on any thread. {@link #update} builds a
 * new tree, publishes it, then replays every match once more so that a load change reported to the old tree while
 * the new one was being built is not lost (a change that read the old tree did so before the publication, hence
 * before the replay reads the counters).
 */
public abstract class IndexedLeastLoadScheduler implements Scheduler, LoadOrder {
    private volatile LoadIndexTree tree = LoadIndexTree.EMPTY;

    /**
     * May {@code server} take a new connection under this algorithm's rule (weight above 0, not overloaded, ...)?
     * Reads the server's live state; called from any thread, many times per load change.
     */
    @Override
    public abstract boolean eligible(Member server);

    /**
     * Is {@code candidate} strictly better than {@code best}, both eligible? Ties answer false, so the earlier
     * server in list order keeps them. Exact integer arithmetic only; called from any thread.
     */
    @Override
    public abstract boolean better(Member candidate, Member best);

    @Override
    public final void update(Snapshot snapshot) {
        LoadIndexTree next = new LoadIndexTree(snapshot.servers(), this);
        tree = next;
        next.refreshAll();
    }

    @Override
    public final Member pick(PickContext context) {
        LoadIndexTree t = tree;
        Member best = t.best();
        List<? extends Member> avoid = context.avoid();
        if (best == null || avoid.isEmpty() || !context.avoids(best)) {
            // The first of the best among all servers is also the first of the best among any subset holding it.
            return best;
        }
        int[] positions = new int[avoid.size()];
        int count = 0;
        for (Member s : avoid) {
            int i = t.positionOf(s);
            if (i >= 0) {
                positions[count++] = i;
            }
        }
        Arrays.sort(positions, 0, count);
        return t.bestAvoiding(positions, count);
    }

    @Override
    public final void loadChanged(Member server) {
        LoadIndexTree t = tree;
        int i = t.positionOf(server);
        if (i >= 0) {
            t.refreshPath(i);
        }
    }
}
