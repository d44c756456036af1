package dev.ferry.schedule;

/** The eligibility rules the schedulers in this package share (spec §1). Stateless. */
final class Availability {
    private Availability() {
    }

    /** IPVS "available": {@code weight > 0} and not overloaded; and not to be avoided by this pick. */
    static boolean canTake(Member server, PickContext context) {
        return server.weight() > 0 && !server.isOverloaded() && !context.avoids(server);
    }

    /** Whether {@code server} is still a member of {@code snapshot} (IPVS: still in the service's list). O(1). */
    static boolean isMember(Member server, Snapshot snapshot) {
        int i = server.index();
        return i >= 0 && i < snapshot.size() && snapshot.get(i) == server;
    }
}
