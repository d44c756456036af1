package dev.ferry.schedule.hash;

/**
 * The Linux kernel's {@code hsiphash} of one 32-bit value, as 64-bit kernels compute it ({@code lib/siphash.c}: on
 * 64-bit, "HalfSipHash1-3" is SipHash-1-3 over 64-bit words, truncated to 32 bits). Used by {@code mh} to build the
 * kernel's Maglev table bit for bit. 32-bit kernels implement the real HalfSipHash and give other values.
 *
 * <p>For a 4-byte message the algorithm is: SipHash's four initial words XORed with the key words {@code k0, k1};
 * the final block {@code b = 4 << 56 | value} (the value read little-endian, as it lies in memory on x86-64);
 * {@code v3 ^= b}, one SipRound, {@code v0 ^= b}, {@code v2 ^= 0xff}, three SipRounds; the low 32 bits of
 * {@code v0 ^ v1 ^ v2 ^ v3}.
 *
 * <p>Threading: stateless.
 */
public final class HalfSipHash {
    private HalfSipHash() {
    }

    /** {@code hsiphash(&value, 4, {k0, k1})} on a 64-bit kernel, as an unsigned 32-bit value in a long. */
    public static long of(int value, long k0, long k1) {
        long v0 = 0x736f6d6570736575L ^ k0;
        long v1 = 0x646f72616e646f6dL ^ k1;
        long v2 = 0x6c7967656e657261L ^ k0;
        long v3 = 0x7465646279746573L ^ k1;
        long b = (4L << 56) | (value & 0xFFFF_FFFFL);
        v3 ^= b;
        // one SipRound
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        v0 ^= b;
        v2 ^= 0xff;
        for (int i = 0; i < 3; i++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return (v0 ^ v1 ^ v2 ^ v3) & 0xFFFF_FFFFL;
    }
}
