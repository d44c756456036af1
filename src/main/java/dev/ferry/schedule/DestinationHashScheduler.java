package dev.ferry.schedule;

import dev.ferry.schedule.hash.AddressKeys;

/**
 * {@code dh}, IPVS destination hashing (spec §2.12): the destination address picks one of {@code 2^table_bits}
 * buckets (default 256), which hold the servers round-robin in list order, whatever their weights. No fallback: when
 * the bucket's server is quiesced, overloaded or to be avoided, the answer is none.
 *
 * <p>The destination is {@link PickContext#destination()}: at layer 4 the frontend address the client connected to;
 * at layer 7 the HTTP frontend passes the request's Host as an unresolved address (its name is hashed). With no
 * destination, the low 32 bits of {@link PickContext#hashKey()} stand in for the address.
 *
 * <p>Options: {@code hash: ipvs | ipvs-legacy | mixed} (see {@link HashMode}; default {@code ipvs}, current kernels'
 * {@code hash_32}), {@code table_bits: 1..20} (default 8, the kernel's {@code IP_VS_DH_TAB_BITS}).
 *
 * <p>Cost: O(1) per pick; O(2^table_bits) per update. Threading: picks read an immutable table published through a
 * volatile field; no locks.
 */
public final class DestinationHashScheduler implements Scheduler {
    private final Options options;
    private final int mask;
    private volatile Member[] buckets;

    /** @param tableBits log2 of the bucket count; {@code hash} chooses the bucket function */
    public record Options(HashMode hash, int tableBits) {
        public static final Options DEFAULT = new Options(HashMode.IPVS, 8);

        static Options read(SchedulerOptions o) {
            return new Options(HashMode.read(o), o.between("table_bits", 8, 1, 20));
        }
    }

    public DestinationHashScheduler(Options options) {
        this.options = options;
        this.mask = (1 << options.tableBits()) - 1;
        this.buckets = new Member[mask + 1];
    }

    @Override
    public void update(Snapshot snapshot) {
        buckets = BucketTable.roundRobin(snapshot.servers(), mask + 1);
    }

    @Override
    public boolean placesByDestination() {
        return true;
    }

    @Override
    public Member pick(PickContext context) {
        Member s = buckets[bucketOf(context)];
        return s != null && Availability.canTake(s, context) ? s : null;
    }

    int bucketOf(PickContext context) {
        if (options.hash() != HashMode.MIXED) {
            int a = context.destination() == null ? (int) context.hashKey()
                    : AddressKeys.ipvsValue(context.destination());
            return options.hash().kernelBucket(a, options.tableBits());
        }
        long key = context.destination() == null ? context.hashKey()
                : AddressKeys.mixed(context.destination(), false);
        return (int) key & mask;
    }
}
