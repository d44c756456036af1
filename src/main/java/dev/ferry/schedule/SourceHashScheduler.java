package dev.ferry.schedule;

import dev.ferry.schedule.hash.AddressKeys;

/**
 * {@code sh}, IPVS source hashing (spec §2.13): the client's address picks one of {@code 2^table_bits} buckets
 * (default 256); walking the list cyclically, each server holds {@code max(weight, 1)} consecutive buckets.
 *
 * <p>Options:
 * <ul>
 *   <li>{@code port: true} (IPVS sh-port): the client's port is hashed with its address;</li>
 *   <li>{@code fallback: true} (IPVS sh-fallback): when the bucket's server cannot take the connection (quiesced,
 *       overloaded, or to be avoided on a retry), probe the other buckets in the kernel's order; otherwise none;</li>
 *   <li>{@code hash: ipvs | ipvs-legacy | mixed} (see {@link HashMode}; default {@code ipvs}, current kernels'
 *       {@code hash_32}). With the two kernel modes the key is the client address (plus the port with
 *       {@code port: true}) exactly as the kernel hashes it (with no client, the low 32 bits of
 *       {@link PickContext#hashKey()}). With
 *       {@code mixed} the key is the backend's {@code hash_key} ({@link PickContext#hashKey()}), or the client's
 *       address and port when {@code port: true};</li>
 *   <li>{@code table_bits: 4..20} (default 8).</li>
 * </ul>
 *
 * <p>Cost: O(1) per pick, O(2^table_bits) with fallback in the worst case; O(2^table_bits) per update.
 * Threading: picks read an immutable table published through a volatile field; no locks.
 */
public final class SourceHashScheduler implements Scheduler {
    private final Options options;
    private final int mask;
    private volatile Member[] buckets;

    /**
     * @param hash      bucket function
     * @param port      hash the client's port too (sh-port)
     * @param fallback  probe further buckets when the first cannot take the connection (sh-fallback)
     * @param tableBits log2 of the bucket count
     */
    public record Options(HashMode hash, boolean port, boolean fallback, int tableBits) {
        public static final Options DEFAULT = new Options(HashMode.IPVS, false, false, 8);

        static Options read(SchedulerOptions o) {
            return new Options(HashMode.read(o), o.flag("port", false), o.flag("fallback", false),
                    o.between("table_bits", 8, 4, 20));
        }
    }

    public SourceHashScheduler(Options options) {
        this.options = options;
        this.mask = (1 << options.tableBits()) - 1;
        this.buckets = new Member[mask + 1];
    }

    @Override
    public void update(Snapshot snapshot) {
        buckets = BucketTable.weightedRuns(snapshot.servers(), mask + 1);
    }

    @Override
    public Member pick(PickContext context) {
        Member[] table = buckets;
        int base = baseOf(context);
        int first = base & mask;
        Member s = table[first];
        if (s == null || Availability.canTake(s, context)) {
            return s;
        }
        if (!options.fallback()) {
            return null;
        }
        // The kernel probes hash(key, offset) for offset = first, first+1, ...: bucket (2*first + k) mod size.
        for (int k = 0; k <= mask; k++) {
            s = table[(((k + first) & mask) + base) & mask];
            if (s == null) {
                return null;
            }
            if (Availability.canTake(s, context)) {
                return s;
            }
        }
        return null;
    }

    /**
     * The kernel's bucket for offset 0 ({@code hash_32(port + addr, bits)}, or the legacy
     * {@code (port + addr) * 2654435761}), or a mixed key's low 32 bits; the caller masks it to the table.
     */
    int baseOf(PickContext context) {
        if (options.hash() != HashMode.MIXED) {
            int value = context.client() == null ? (int) context.hashKey()
                    : (options.port() ? context.client().getPort() : 0) + AddressKeys.ipvsValue(context.client());
            return options.hash().kernelBucket(value, options.tableBits());
        }
        if (options.port() && context.client() != null) {
            return (int) AddressKeys.mixed(context.client(), true);
        }
        return (int) context.hashKey();
    }
}
