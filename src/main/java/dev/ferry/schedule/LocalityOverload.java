package dev.ferry.schedule;

import java.util.List;

/**
 * lblc's own overload test (spec §2.10), separate from the threshold flag: a server is overloaded when
 * {@code active > weight} <em>and</em> some server of the backend is under half load ({@code active*2 < weight}).
 *
 * <p>IPVS scans every server for the second half. Here a {@link LoadIndexTree} whose only "eligible" servers are
 * the half-loaded ones keeps the first of them at its root, so the test is O(1) and each load change costs
 * O(log n). Threading: lock-free, as {@link LoadIndexTree}.
 */
final class LocalityOverload {
    private static final LoadOrder HALF_LOADED = new LoadOrder() {
        @Override
        public boolean eligible(Member server) {
            return (long) server.active() * 2 < server.weight();
        }

        @Override
        public boolean better(Member candidate, Member best) {
            return false; // any half-loaded server will do: keep the first
        }
    };

    private volatile LoadIndexTree halfLoaded = new LoadIndexTree(List.of(), HALF_LOADED);

    void update(Snapshot snapshot) {
        LoadIndexTree next = new LoadIndexTree(snapshot.servers(), HALF_LOADED);
        halfLoaded = next;
        next.refreshAll(); // catches load changes reported to the old tree meanwhile
    }

    void loadChanged(Member server) {
        LoadIndexTree t = halfLoaded;
        int i = t.positionOf(server);
        if (i >= 0) {
            t.refreshPath(i);
        }
    }

    boolean isOverloaded(Member server) {
        return server.active() > server.weight() && halfLoaded.best() != null;
    }
}
