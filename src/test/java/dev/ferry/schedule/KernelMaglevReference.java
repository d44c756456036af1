package dev.ferry.schedule;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A test-side port of the kernel's mh table ({@code ip_vs_mh.c}, {@code lib/siphash.c}), written from the kernel's
 * algorithm apart from the production code: a general SipHash-c-d over a byte message (the kernel's 64-bit
 * {@code hsiphash} is SipHash-1-3 of the 4 bytes of a u32 in memory order, truncated to 32 bits), the permutation
 * of {@code ip_vs_mh_permutate} and the fill of {@code ip_vs_mh_populate} with a bitmap and a list walk.
 */
final class KernelMaglevReference {
    private KernelMaglevReference() {
    }

    static long sipHash(byte[] message, long k0, long k1, int c, int d) {
        long[] v = {0x736f6d6570736575L ^ k0, 0x646f72616e646f6dL ^ k1, 0x6c7967656e657261L ^ k0,
                0x7465646279746573L ^ k1};
        int whole = message.length / 8 * 8;
        ByteBuffer le = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < whole; i += 8) {
            long m = le.getLong(i);
            v[3] ^= m;
            rounds(v, c);
            v[0] ^= m;
        }
        long b = ((long) message.length & 0xff) << 56;
        for (int i = whole; i < message.length; i++) {
            b |= (message[i] & 0xFFL) << (8 * (i - whole));
        }
        v[3] ^= b;
        rounds(v, c);
        v[0] ^= b;
        v[2] ^= 0xff;
        rounds(v, d);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void rounds(long[] v, int n) {
        for (int i = 0; i < n; i++) {
            v[0] += v[1];
            v[1] = Long.rotateLeft(v[1], 13) ^ v[0];
            v[0] = Long.rotateLeft(v[0], 32);
            v[2] += v[3];
            v[3] = Long.rotateLeft(v[3], 16) ^ v[2];
            v[0] += v[3];
            v[3] = Long.rotateLeft(v[3], 21) ^ v[0];
            v[2] += v[1];
            v[1] = Long.rotateLeft(v[1], 17) ^ v[2];
            v[2] = Long.rotateLeft(v[2], 32);
        }
    }

    /** {@code hsiphash(&u32, 4, {key, key})} on x86-64. */
    static long hsiphash(int value, long key) {
        byte[] bytes = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
        return sipHash(bytes, key, key, 1, 3) & 0xFFFF_FFFFL;
    }

    /**
     * The lookup table: slot to index in {@code values} (address + port of each server, list order), -1 for an
     * empty slot. {@code lastWeights} are the servers' last non-zero weights; TAB_BITS = (index of M) / 2.
     */
    static int[] table(int[] values, int[] lastWeights, int m, int tabBits) {
        int[] lookup = new int[m];
        java.util.Arrays.fill(lookup, -1);
        int g = 0;
        int max = 0;
        for (int w : lastWeights) {
            if (w > 0) {
                g = g > 0 ? java.math.BigInteger.valueOf(g).gcd(java.math.BigInteger.valueOf(w)).intValue() : w;
            }
            max = Math.max(max, w);
        }
        if (g < 1) {
            return lookup;
        }
        int fls = 32 - Integer.numberOfLeadingZeros(max / g);
        int rshift = Math.max(0, fls - tabBits);
        int n = values.length;
        long[] perm = new long[n];
        long[] skip = new long[n];
        int[] turns = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = hsiphash(values[i], 2654435761L) % m;
            skip[i] = hsiphash(values[i], 2654446892L) % (m - 1) + 1;
            int t = (lastWeights[i] / g) >> rshift;
            turns[i] = t != 0 ? t : (lastWeights[i] != 0 ? 1 : 0);
        }
        java.util.BitSet taken = new java.util.BitSet(m);
        int filled = 0;
        int dtCount = 0;
        while (filled < m) {
            int i = 0;
            while (i < n) {
                if (turns[i] < 1) {
                    i++;
                    continue;
                }
                int c = (int) perm[i];
                while (taken.get(c)) {
                    perm[i] += skip[i];
                    if (perm[i] >= m) {
                        perm[i] -= m;
                    }
                    c = (int) perm[i];
                }
                taken.set(c);
                lookup[c] = i;
                if (++filled == m) {
                    return lookup;
                }
                if (++dtCount >= turns[i]) {
                    dtCount = 0;
                    i++;
                }
            }
        }
        return lookup;
    }
}
