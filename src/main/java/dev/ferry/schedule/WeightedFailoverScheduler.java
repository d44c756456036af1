package dev.ferry.schedule;

/**
 * IPVS {@code fo}: the server with the highest weight among those that are not overloaded; weight 0 never wins,
 * connection counts are ignored, and the first of equal top weights wins (spec §2.7). Picks are lock-free, see
 * {@link IndexedLeastLoadScheduler}.
 */
public final class WeightedFailoverScheduler extends IndexedLeastLoadScheduler {

    @Override
    public boolean eligible(Member server) {
        return server.weight() > 0 && !server.isOverloaded();
    }

    @Override
    public boolean better(Member candidate, Member best) {
        return candidate.weight() > best.weight();
    }
}
