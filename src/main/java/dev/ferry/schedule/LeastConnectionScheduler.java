package dev.ferry.schedule;

/**
 * IPVS {@code lc}: the eligible server (weight above 0, not overloaded) with the smallest overhead
 * {@code active*256 + inactive}; the weight's size is ignored and ties go to the first in list order (spec §2.3).
 * Picks are lock-free, see {@link IndexedLeastLoadScheduler}.
 */
public final class LeastConnectionScheduler extends IndexedLeastLoadScheduler {

    @Override
    public boolean eligible(Member server) {
        return server.weight() > 0 && !server.isOverloaded();
    }

    @Override
    public boolean better(Member candidate, Member best) {
        return candidate.overhead() < best.overhead();
    }
}
