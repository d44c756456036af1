package dev.ferry.director;

/**
 * One worker's cache of {@link TunnelRoutes}, by real server address: the first packet to a server asks, the next
 * ones find the answer here without allocating; an answer is asked again after {@link #REFRESH_MILLIS}, so a
 * changed route or MTU is followed within that time. Open addressing over primitive arrays.
 *
 * <p>Threading: confined to its worker.
 */
final class TunnelRouteCache {
    static final long REFRESH_MILLIS = 30_000;
    /** A lookup's answer when the director has no route to the server. */
    static final long NO_ROUTE = -1;

    private final TunnelRoutes routes;
    private int[] keys = new int[16];
    private int[] sources = new int[16];
    private int[] mtus = new int[16];
    private long[] resolvedAt = new long[16];
    private boolean[] used = new boolean[16];
    private int size;

    TunnelRouteCache(TunnelRoutes routes) {
        this.routes = routes;
    }

    /** The route to {@code realAddress} packed as {@code source << 32 | mtu}, or {@link #NO_ROUTE}. */
    long lookup(int realAddress, long nowMillis) {
        int i = slot(keys, used, realAddress);
        if (used[i] && nowMillis - resolvedAt[i] < REFRESH_MILLIS) {
            return mtus[i] == 0 ? NO_ROUTE : pack(sources[i], mtus[i]);
        }
        TunnelRoutes.Route r = routes.resolve(realAddress);
        if (!used[i]) {
            if (size + 1 > keys.length / 2) {
                grow();
                i = slot(keys, used, realAddress);
            }
            used[i] = true;
            keys[i] = realAddress;
            size++;
        }
        // A failure is remembered too (as MTU 0), so that an unroutable server costs one lookup per refresh.
        sources[i] = r == null ? 0 : r.source();
        mtus[i] = r == null ? 0 : r.mtu();
        resolvedAt[i] = nowMillis;
        return r == null ? NO_ROUTE : pack(r.source(), r.mtu());
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

    private static int slot(int[] keys, boolean[] used, int key) {
        int mask = keys.length - 1;
        int i = (key * 0x9E3779B9) >>> 16 & mask;
        while (used[i] && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void grow() {
        int[] k = keys;
        int[] s = sources;
        int[] m = mtus;
        long[] t = resolvedAt;
        boolean[] u = used;
        int n = k.length * 2;
        keys = new int[n];
        sources = new int[n];
        mtus = new int[n];
        resolvedAt = new long[n];
        used = new boolean[n];
        for (int j = 0; j < k.length; j++) {
            if (u[j]) {
                int i = slot(keys, used, k[j]);
                used[i] = true;
                keys[i] = k[j];
                sources[i] = s[j];
                mtus[i] = m[j];
                resolvedAt[i] = t[j];
            }
        }
    }
}
