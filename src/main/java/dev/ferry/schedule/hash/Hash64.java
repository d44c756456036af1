package dev.ferry.schedule.hash;

/**
 * A well-mixed 64-bit hash: FNV-1a over the input, then the murmur3 {@code fmix64} finalizer so that every input bit
 * affects every output bit (FNV alone mixes the last bytes poorly). Not cryptographic: keys chosen by an attacker can
 * collide; that only skews the balance, it cannot break a pick.
 *
 * <p>Threading: stateless, safe from any thread.
 */
public final class Hash64 {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hash64() {
    }

    /** murmur3's 64-bit finalizer: a bijection on longs with full avalanche. */
    public static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** Hashes two values as an ordered pair (e.g. a key and a probe number). */
    public static long mix(long a, long b) {
        return mix(a * 0x9E3779B97F4A7C15L + b);
    }

    /** Hashes the UTF-16 code units of {@code s} (so equal strings hash equally, whatever their encoding). */
    public static long of(CharSequence s) {
        long h = FNV_OFFSET;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            h = (h ^ (c & 0xFF)) * FNV_PRIME;
            h = (h ^ (c >>> 8)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** Hashes {@code length} bytes of {@code bytes} from {@code offset}. */
    public static long of(byte[] bytes, int offset, int length) {
        long h = FNV_OFFSET;
        for (int i = offset, end = offset + length; i < end; i++) {
            h = (h ^ (bytes[i] & 0xFF)) * FNV_PRIME;
        }
        return mix(h);
    }
}
