package dev.ferry.schedule;

/**
 * IPVS {@code ovf}: the highest-weight server among those that are not overloaded, have a weight above 0 and have
 * no more active connections than their weight; the first of equal weights wins (spec §2.8). A server is still
 * eligible at {@code active == weight}, so it can reach {@code weight + 1} active connections; inactive ones do not
 * count. Picks are lock-free, see {@link IndexedLeastLoadScheduler}.
 */
public final class OverflowScheduler extends IndexedLeastLoadScheduler {

    @Override
    public boolean eligible(Member server) {
        int weight = server.weight();
        return weight > 0 && !server.isOverloaded() && server.active() <= weight;
    }

    @Override
    public boolean better(Member candidate, Member best) {
        return candidate.weight() > best.weight();
    }
}
