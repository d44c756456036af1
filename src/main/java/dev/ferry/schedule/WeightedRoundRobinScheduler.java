package dev.ferry.schedule;


/**
 * IPVS {@code wrr}: interleaved weighted round robin stepped by the gcd of the weights (spec §2.2). Weights 4, 3, 2
 * give AABABCABC.
 *
 * <p>State: a cursor (last server chosen), the current weight {@code cw}, the step {@code di} (gcd of the positive
 * weights) and {@code mw = maxWeight - (di - 1)}. Pass k takes, in list order, every server whose weight is at least
 * {@code cw}; at the end of the list {@code cw} drops by {@code di}, and below 1 it starts again at {@code mw}. On
 * every {@link #update} the cursor goes back to the start, {@code di} and {@code mw} are recomputed and {@code cw}
 * is adjusted as IPVS does (spec §2.2, "On any server add, remove or weight update").
 *
 * <p>A server to avoid ({@link PickContext#avoid()}) is passed over exactly like an overloaded one, so a retry
 * advances the cursor and {@code cw} as IPVS would advance them past an overloaded server.
 *
 * <p>Weights are read as of the last {@link #update} (effective weights change only through updates) and overload
 * flags from a mirror that {@link #loadChanged} keeps current, so the scan reads two flat arrays and touches a
 * server's object only when it qualifies.
 *
 * <p>Threading: {@link #pick} and {@link #update} hold this scheduler's monitor; a pick is O(n) amortised.
 * {@link #loadChanged} is lock-free.
 */
public final class WeightedRoundRobinScheduler implements Scheduler {
    /** Before the first server. */
    private static final int START = -1;

    private Member[] servers = new Member[0];
    /**
     * The servers' weights as of the last update. Effective weights change only through updates, and a flat array
     * keeps the scan over servers below {@code cw} from touching each server's object (cache misses at scale).
     */
    private int[] weights = new int[0];
    /** The servers' overload flags, kept current by {@link #loadChanged} without this scheduler's monitor. */
    private volatile OverloadFlags flags = OverloadFlags.EMPTY;
    private int cursor = START;
    private int di = 1;
    private int mw;
    private int cw;

    @Override
    public void update(Snapshot snapshot) {
        Member[] next = snapshot.servers().toArray(new Member[0]);
        int[] nextWeights = new int[next.length];
        int gcd = 0;
        int max = 0;
        for (int i = 0; i < next.length; i++) {
            int w = next[i].weight();
            nextWeights[i] = w;
            if (w > 0) {
                gcd = gcd(gcd, w);
                max = Math.max(max, w);
            }
        }
        int step = gcd > 0 ? gcd : 1;
        int top = max == 0 ? 0 : max - (step - 1);
        OverloadFlags nextFlags = new OverloadFlags(next);
        synchronized (this) {
            servers = next;
            weights = nextWeights;
            flags = nextFlags;
            cursor = START;
            di = step;
            mw = top;
            if (cw > mw || cw == 0) {
                cw = mw;
            } else if (di > 1) {
                cw = (cw / di) * di + 1;
            }
        }
        // A flag change reported to the old mirror did so before the publication above: this copy sees it.
        nextFlags.refreshAll();
    }

    @Override
    public void loadChanged(Member server) {
        OverloadFlags f = flags;
        int i = f.positionOf(server);
        if (i >= 0) {
            f.refresh(i);
        }
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    @Override
    public synchronized Member pick(PickContext context) {
        if (mw == 0) {
            return null;
        }
        int n = servers.length;
        OverloadFlags overloaded = flags;
        int last = cursor;
        int stop = -2; // no stop position until the last pass must end where this pick started
        boolean lastPass = false;
        boolean restarted = false;
        int at = cursor;
        // Each loop is one pass at the current cw; at most (mw/di + 2) passes, the last one stopping at `last`.
        while (true) {
            for (int i = at + 1; i < n; i++) {
                if (weights[i] >= cw && !overloaded.overloaded(i)) {
                    Member s = servers[i];
                    if (!context.avoids(s)) {
                        cursor = i;
                        return s;
                    }
                }
                if (i == stop) {
                    cursor = i;
                    return null;
                }
            }
            at = START;
            cw -= di;
            if (cw <= 0) {
                cw = mw;
                if (lastPass || last == START) {
                    cursor = START;
                    return null;
                }
                restarted = true;
            }
            lastPass = cw <= di;
            if (lastPass && restarted && last != START) {
                // The first pass at cw = 1 covered only the servers after `last`; finish it up to `last`.
                stop = last;
            }
        }
    }
}
