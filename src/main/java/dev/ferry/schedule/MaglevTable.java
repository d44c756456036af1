package dev.ferry.schedule;

import dev.ferry.schedule.hash.AddressKeys;
import dev.ferry.schedule.hash.HalfSipHash;

import java.util.List;

/**
 * Builds a Maglev lookup table (Eisenbud et al., NSDI 2016, §3.4, weighted as IPVS {@code mh} does, spec §2.14).
 * Each server's preference list is {@code offset, offset+skip, offset+2*skip, ... (mod M)}, a permutation of the
 * slots because M is prime; going round the servers in list order, each claims its next unclaimed preferred slot
 * {@code turns} times in a row, until every slot is taken.
 *
 * <p>A server's offset and skip are the kernel's ({@code ip_vs_mh_permutate}): {@code hsiphash} of its address plus
 * port (32-bit, host order; IPv6 folded by XOR) with the fixed keys of {@code generate_hash_secret}, so the table
 * is the kernel's, bit for bit, for the same servers, list order and weights. Not thread-safe; used on the update
 * path only.
 */
final class MaglevTable {
    /** Both words of the kernel's {@code hash1} key (offsets and lookups). */
    static final long HASH1 = 2654435761L;
    /** Both words of the kernel's {@code hash2} key (skips). */
    static final long HASH2 = 2654446892L;

    private MaglevTable() {
    }

    /** The first slot of {@code server}'s preference list. */
    static int offset(Member server, int m) {
        return (int) (HalfSipHash.of(value(server), HASH1, HASH1) % m);
    }

    /** The step of {@code server}'s preference list, in {@code [1, m-1]}. */
    static int skip(Member server, int m) {
        return (int) (HalfSipHash.of(value(server), HASH2, HASH2) % (m - 1)) + 1;
    }

    /** The kernel's {@code offset 0 + port + addr} of a server. */
    static int value(Member server) {
        return server.address().getPort() + AddressKeys.ipvsValue(server.address());
    }

    /** The kernel's slot of a 32-bit key value (address plus port) at probe {@code offset}. */
    static int slot(int value, int offset, int m) {
        return (int) (HalfSipHash.of(offset + value, HASH1, HASH1) % m);
    }

    /**
     * How many slots in a row each server claims per round, from the last non-zero weights (spec §2.14): divided by
     * their gcd, shifted right so the largest fits in {@code tabBits} bits, and at least 1 for a non-zero weight.
     * All zeros when no weight is positive.
     */
    static int[] turns(int[] lastWeights, int tabBits) {
        int g = 0;
        int max = 0;
        for (int w : lastWeights) {
            if (w > 0) {
                g = gcd(g, w);
                max = Math.max(max, w);
            }
        }
        int[] turns = new int[lastWeights.length];
        if (g < 1) {
            return turns;
        }
        int bitLength = 32 - Integer.numberOfLeadingZeros(max / g);
        int shift = Math.max(0, bitLength - tabBits);
        for (int i = 0; i < turns.length; i++) {
            int t = (lastWeights[i] / g) >> shift;
            turns[i] = t == 0 && lastWeights[i] != 0 ? 1 : t;
        }
        return turns;
    }

    /** The table: slot to server; all null when no server has turns. */
    static Member[] populate(List<? extends Member> servers, int[] turns, int m) {
        Member[] slots = new Member[m];
        int n = servers.size();
        int[] next = new int[n];
        int[] skip = new int[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            if (turns[i] > 0) {
                next[i] = offset(servers.get(i), m);
                skip[i] = skip(servers.get(i), m);
                any = true;
            }
        }
        if (!any) {
            return slots;
        }
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                for (int t = 0; t < turns[i]; t++) {
                    int c = next[i];
                    while (slots[c] != null) {
                        c += skip[i];
                        if (c >= m) {
                            c -= m;
                        }
                    }
                    next[i] = c;
                    slots[c] = servers.get(i);
                    if (++filled == m) {
                        return slots;
                    }
                }
            }
        }
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
