package dev.ferry.runtime;

import dev.ferry.proxy.Frontend;

import java.util.ArrayList;
import java.util.List;

/**
 * Frontends a reload moved or removed: no longer listening, their live connections still finishing. Once a retired
 * frontend has no connection left, {@link #sweep()} closes what it still holds (idle pooled server connections) and
 * forgets it, so reloads do not pile up frontends (their pools, channel groups and routers) for the life of the
 * process.
 *
 * <p>Threading: every method may be called from any thread (synchronised); {@link #sweep()} blocks briefly while a
 * drained frontend closes its pools, so call it off the event loops.
 */
final class RetiredFrontends {
    private final List<Frontend> draining = new ArrayList<>();

    /** Adds a frontend that has stopped accepting. */
    synchronized void add(Frontend frontend) {
        draining.add(frontend);
    }

    /**
     * Drops every retired frontend without live connections, after closing what it still holds.
     *
     * @return how many retired frontends are still draining
     */
    int sweep() {
        List<Frontend> drained = new ArrayList<>();
        synchronized (this) {
            for (Frontend f : draining) {
                if (f.stats().active() == 0) {
                    drained.add(f);
                }
            }
            draining.removeAll(drained);
        }
        drained.forEach(Frontend::closeAll);
        return size();
    }

    synchronized int size() {
        return draining.size();
    }

    /** Client connections still open on retired frontends. */
    synchronized int activeConnections() {
        return draining.stream().mapToInt(f -> f.stats().active()).sum();
    }

    /** A copy of the retired frontends still draining, oldest first. */
    synchronized List<Frontend> list() {
        return List.copyOf(draining);
    }

    /** Forgets every retired frontend and returns them (for a stop that closes everything). */
    synchronized List<Frontend> takeAll() {
        List<Frontend> all = List.copyOf(draining);
        draining.clear();
        return all;
    }
}
