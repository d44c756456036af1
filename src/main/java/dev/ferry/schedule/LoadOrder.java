package dev.ferry.schedule;

/**
 * The rule of one least-load scheduler, as IPVS's linear scan applies it: which servers may be chosen, and when a
 * later server strictly improves on the best one so far. Both methods read the server's live counters.
 *
 * <p>{@link #better} must be a strict weak order over eligible servers (irreflexive, transitive, with transitive
 * incomparability): then IPVS's scan in list order and {@link LoadIndexTree}'s tournament both return the first
 * server among the best, so the tree can replace the scan.
 */
interface LoadOrder {

    /** May {@code server} take a new connection at all (not overloaded, weight above 0, ...)? */
    boolean eligible(Member server);

    /** Is {@code candidate} strictly better than {@code best}? Both are eligible; ties answer false. */
    boolean better(Member candidate, Member best);

    /**
     * {@code n1/d1 < n2/d2} without dividing, for non-negative numerators and positive denominators. Exact in
     * {@code long}: numerators are at most {@code 2^31*256 + 2^31 < 2^40} (an overhead) and denominators are weights
     * (at most 65535 in configuration, far below the {@code 2^23} that would overflow).
     */
    static boolean lessRatio(long n1, long d1, long n2, long d2) {
        return n1 * d2 < n2 * d1;
    }
}
