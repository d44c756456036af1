package dev.ferry.director;

/**
 * One worker's cache of what a slow lookup (a system call, a file of the kernel's) says about each real server
 * address, packed in a {@code long}: the first packet toward a server asks, the next ones find the answer here
 * without allocating. A found answer is asked again after {@code refreshMillis}, so a change is followed within
 * that time; a missing one after {@code retryMillis}, so that a server costs at most one lookup per retry while
 * there is none. Open addressing over primitive arrays.
 *
 * <p>Threading: confined to its worker.
 */
final class AddressCache {
    /** A lookup's answer when there is none. */
    static final long NONE = -1;

    /** The slow lookup: what is known of {@code address}, or {@link #NONE}. May block briefly. */
    @FunctionalInterface
    interface Lookup {
        long find(int address);
    }

    private final Lookup lookup;
    private final long refreshMillis;
    private final long retryMillis;
    private int[] keys = new int[16];
    private long[] values = new long[16];
    private long[] askedAt = new long[16];
    private boolean[] used = new boolean[16];
    private int size;

    AddressCache(Lookup lookup, long refreshMillis, long retryMillis) {
        this.lookup = lookup;
        this.refreshMillis = refreshMillis;
        this.retryMillis = retryMillis;
    }

    /** What is known of {@code address}, or {@link #NONE}: from the cache while fresh, else from the lookup. */
    long get(int address, long nowMillis) {
        int i = slot(keys, used, address);
        if (used[i] && nowMillis - askedAt[i] < (values[i] == NONE ? retryMillis : refreshMillis)) {
            return values[i];
        }
        long found = lookup.find(address);
        if (!used[i]) {
            if (size + 1 > keys.length / 2) {
                grow();
                i = slot(keys, used, address);
            }
            used[i] = true;
            keys[i] = address;
            size++;
        }
        values[i] = found;
        askedAt[i] = nowMillis;
        return found;
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
        long[] v = values;
        long[] t = askedAt;
        boolean[] u = used;
        int n = k.length * 2;
        keys = new int[n];
        values = new long[n];
        askedAt = new long[n];
        used = new boolean[n];
        for (int j = 0; j < k.length; j++) {
            if (u[j]) {
                int i = slot(keys, used, k[j]);
                used[i] = true;
                keys[i] = k[j];
                values[i] = v[j];
                askedAt[i] = t[j];
            }
        }
    }
}
