package dev.ferry.schedule;

/**
 * IPVS {@code nq}: the first eligible server (weight above 0, not overloaded) with no active connection, whatever
 * its weight; when none is idle, the {@code sed} rule (smallest {@code (active + 1)/weight}, first wins ties)
 * (spec §2.6). Inactive connections are ignored. Picks are lock-free, see {@link IndexedLeastLoadScheduler}.
 */
public final class NeverQueueScheduler extends IndexedLeastLoadScheduler {

    @Override
    public boolean eligible(Member server) {
        return server.weight() > 0 && !server.isOverloaded();
    }

    @Override
    public boolean better(Member candidate, Member best) {
        return LoadOrder.lessRatio(expectedDelay(candidate), candidate.weight(), expectedDelay(best), best.weight());
    }

    /**
     * An idle server counts as delay 0, so it beats every busy one and, among idle ones, the first keeps the win:
     * that is IPVS's "return the first idle server" folded into one order.
     */
    private static long expectedDelay(Member server) {
        int active = server.active();
        return active == 0 ? 0 : active + 1L;
    }
}
