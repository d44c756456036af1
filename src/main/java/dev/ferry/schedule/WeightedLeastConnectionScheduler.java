package dev.ferry.schedule;

/**
 * IPVS {@code wlc} (Ferry's default): the eligible server (weight above 0, not overloaded) with the smallest
 * {@code overhead/weight}, compared by cross-multiplication; ties go to the first in list order (spec §2.4).
 * Picks are lock-free, see {@link IndexedLeastLoadScheduler}.
 */
public final class WeightedLeastConnectionScheduler extends IndexedLeastLoadScheduler {

    @Override
    public boolean eligible(Member server) {
        return server.weight() > 0 && !server.isOverloaded();
    }

    @Override
    public boolean better(Member candidate, Member best) {
        return LoadOrder.lessRatio(candidate.overhead(), candidate.weight(), best.overhead(), best.weight());
    }
}
