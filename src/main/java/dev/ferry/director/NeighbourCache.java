package dev.ferry.director;

/**
 * One worker's cache of {@link Neighbours}, by real server address ({@link AddressCache}): a MAC is read again from
 * the kernel's table every {@link #REFRESH_MILLIS}, so a server whose MAC changed (a replaced machine, a moved
 * address) gets frames at its new one within that time; an address without one makes the kernel resolve it and
 * is looked at again after {@link #RETRY_MILLIS}, well before a client retransmits its SYN (1 s).
 *
 * <p>Threading: confined to its worker.
 */
final class NeighbourCache {
    static final long REFRESH_MILLIS = 5_000;
    static final long RETRY_MILLIS = 250;

    private final AddressCache cache;

    NeighbourCache(Neighbours neighbours) {
        this.cache = new AddressCache(address -> {
            long mac = neighbours.mac(address);
            if (mac == Neighbours.UNKNOWN) {
                neighbours.solicit(address);
            }
            return mac;
        }, REFRESH_MILLIS, RETRY_MILLIS);
    }

    /** The MAC of {@code realAddress}, or {@link Neighbours#UNKNOWN}. */
    long lookup(int realAddress, long nowMillis) {
        return cache.get(realAddress, nowMillis);
    }
}
