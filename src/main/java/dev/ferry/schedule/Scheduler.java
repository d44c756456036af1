package dev.ferry.schedule;

/**
 * A scheduling algorithm for one backend.
 *
 * <p>Life cycle: the backend creates one scheduler per backend (through {@link Schedulers}) and calls
 * {@link #update(Snapshot)} with the first snapshot before any pick, then again on every change of
 * membership, weight or health. State that IPVS keeps across changes (the rr cursor, wrr's current weight) is kept
 * across updates as IPVS keeps it.
 *
 * <p>Threading: {@link #pick(PickContext)} is called concurrently from every event loop and must not block: it is
 * lock-free or holds a short per-scheduler lock. {@link #update(Snapshot)} is never called concurrently with
 * itself (the backend serialises it) but may run concurrently with picks. {@link #loadChanged(Member)} is called from
 * whichever thread changed a server's active or inactive count.
 */
public interface Scheduler {

    /** Installs a new view of the servers. Never null; may be empty. */
    void update(Snapshot snapshot);

    /**
     * Chooses a server for a new connection or request.
     *
     * @param context who is asking and which servers to avoid; never null
     * @return a member of the current snapshot that is not in {@link PickContext#avoid()}, or {@code null} when no
     *         server can take it (none eligible: all quiesced, overloaded, excluded, or no servers)
     */
    Member pick(PickContext context);

    /**
     * Whether this scheduler places by the destination of what it schedules ({@link PickContext#destination()}):
     * lblc, lblcr and dh do, as in IPVS. At layer 7 a frontend then passes the request's host as the destination,
     * which costs an allocation it saves for every other scheduler.
     */
    default boolean placesByDestination() {
        return false;
    }

    /** A server's active or inactive count changed. Schedulers that index load override this; default: nothing. */
    default void loadChanged(Member server) {
    }
}
