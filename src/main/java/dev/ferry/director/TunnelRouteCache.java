package dev.ferry.director;

/**
 * One worker's cache of {@link TunnelRoutes}, by real server address ({@link AddressCache}): an answer, or the lack
 * of one, is asked again after {@link #REFRESH_MILLIS}, so a changed route or MTU is followed within that time.
 *
 * <p>Threading: confined to its worker.
 */
final class TunnelRouteCache {
    static final long REFRESH_MILLIS = 30_000;
    /** A lookup's answer when the director has no route to the server. */
    static final long NO_ROUTE = AddressCache.NONE;

    private final AddressCache cache;

    TunnelRouteCache(TunnelRoutes routes) {
        this.cache = new AddressCache(address -> {
            TunnelRoutes.Route r = routes.resolve(address);
            return r == null ? NO_ROUTE : pack(r.source(), r.mtu());
        }, REFRESH_MILLIS, REFRESH_MILLIS);
    }

    /** The route to {@code realAddress} packed as {@code source << 32 | mtu}, or {@link #NO_ROUTE}. */
    long lookup(int realAddress, long nowMillis) {
        return cache.get(realAddress, nowMillis);
    }

    static int source(long route) {
        return (int) (route >>> 32);
    }

    static int mtu(long route) {
        return (int) route;
    }

    private static long pack(int source, int mtu) {
        return ((long) source << 32) | (mtu & 0xFFFFFFFFL);
    }
}
