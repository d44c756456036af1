package dev.ferry.schedule;

/**
 * IPVS {@code sed}: the eligible server (weight above 0, not overloaded) with the smallest expected delay
 * {@code (active + 1)/weight}; inactive connections are ignored, and ties go to the first in list order (spec §2.5).
 * The +1 counts the incoming job, so at zero load the heaviest server wins. Picks are lock-free, see
 * {@link IndexedLeastLoadScheduler}.
 */
public final class ShortestExpectedDelayScheduler extends IndexedLeastLoadScheduler {

    @Override
    public boolean eligible(Member server) {
        return server.weight() > 0 && !server.isOverloaded();
    }

    @Override
    public boolean better(Member candidate, Member best) {
        return LoadOrder.lessRatio(candidate.active() + 1L, candidate.weight(), best.active() + 1L, best.weight());
    }
}
