package dev.ferry.schedule;

import dev.ferry.schedule.hash.AddressKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code mh}, IPVS Maglev hashing (spec §2.14): a lookup table of M slots (a prime, option {@code table_size},
 * default 4093) filled by {@link MaglevTable}; the key picks a slot. Adding or removing one of n servers moves
 * little more than 1/n of the keys, and setting a weight to 0 moves none: the table is built from each server's last
 * non-zero weight, so a quiesced server keeps its slots and only its own keys get none (or fall back).
 *
 * <p>The table and the lookups are the kernel's bit for bit ({@link MaglevTable}): with the default
 * {@code hash_key: source_ip} the slot is {@code hsiphash(client address) mod M}, as in {@code ip_vs_mh_get}; with
 * {@code port: true} (IPVS mh-port) the client's address plus port, whatever {@code hash_key} says; with another
 * {@code hash_key} the 64-bit key folded to 32 bits takes the address's place. With
 * {@code fallback: true} (IPVS mh-fallback), when the slot's server cannot take the connection (quiesced, overloaded
 * or to be avoided), slots are probed in a pseudo-random order of the key until one can.
 *
 * <p>The table is built from each server's configured weight ({@link Member#configuredWeight()}), not the effective
 * one: slow start, feedback and drain are local to one instance (as its health verdicts), and letting them reshape the
 * table would make instances that read the same configuration disagree on the servers of a flow moved between them
 * (ECMP in front of several Ferry instances). So with {@code mh} a draining server, or one whose feedback factor is
 * 0, keeps its slots and only its own keys find no server (or fall back); slow start and feedback shares other than 0
 * do not change the table.
 *
 * <p>With more servers than M slots the kernel keeps the server but cannot rebuild its table, so the old table stays;
 * Ferry does the same and logs a warning.
 *
 * <p>Cost: O(1) per pick, O(M) with fallback in the worst case; about O(M log M) per update.
 * Threading: picks read an immutable table published through a volatile field; updates are serialised by the
 * backend.
 */
public final class MaglevScheduler implements Scheduler {
    /** The primes IPVS allows ({@code CONFIG_IP_VS_MH_TAB_INDEX} 8..17). */
    static final int[] TABLE_SIZES = {251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071};
    static final int DEFAULT_TABLE_SIZE = 4093;
    private static final Logger LOG = LoggerFactory.getLogger(MaglevScheduler.class);

    private final Options options;
    private final int tabBits;
    /** Last non-zero weight of every member, kept across updates (IPVS {@code last_weight}). */
    private Map<Member, Integer> lastWeights = new IdentityHashMap<>();
    private volatile Member[] slots;

    /**
     * @param tableSize one of {@link #TABLE_SIZES}
     * @param port      hash the client's address and port (mh-port)
     * @param fallback  probe other slots when the first cannot take the connection (mh-fallback)
     */
    public record Options(int tableSize, boolean port, boolean fallback) {
        public static final Options DEFAULT = new Options(DEFAULT_TABLE_SIZE, false, false);

        static Options read(SchedulerOptions o) {
            return new Options(o.oneOf("table_size", DEFAULT_TABLE_SIZE, TABLE_SIZES), o.flag("port", false),
                    o.flag("fallback", false));
        }
    }

    public MaglevScheduler(Options options) {
        int index = java.util.Arrays.binarySearch(TABLE_SIZES, options.tableSize());
        if (index < 0) {
            throw new IllegalArgumentException("mh table_size must be one of the IPVS primes, not "
                    + options.tableSize());
        }
        this.options = options;
        this.tabBits = (index + 8) / 2; // IPVS: TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2
        this.slots = new Member[options.tableSize()];
    }

    @Override
    public void update(Snapshot snapshot) {
        List<? extends Member> servers = snapshot.servers();
        int m = options.tableSize();
        if (servers.size() > m) {
            LOG.warn("mh table_size {} is smaller than the {} servers: the table stays as it was (as the kernel's)",
                    m, servers.size());
            return;
        }
        Map<Member, Integer> kept = new IdentityHashMap<>();
        int[] weights = new int[servers.size()];
        for (int i = 0; i < weights.length; i++) {
            Member s = servers.get(i);
            int w = tableWeight(s);
            kept.put(s, w);
            weights[i] = w;
        }
        lastWeights = kept;
        slots = MaglevTable.populate(servers, MaglevTable.turns(weights, tabBits), m);
    }

    /**
     * The configured weight while positive; else the effective one if positive (a scheduler driven directly, whose
     * members have no configured weight of their own); else the last non-zero one (IPVS {@code last_weight}).
     */
    private int tableWeight(Member s) {
        int configured = s.configuredWeight();
        if (configured > 0) {
            return configured;
        }
        return s.weight() > 0 ? s.weight() : lastWeights.getOrDefault(s, 0);
    }

    @Override
    public Member pick(PickContext context) {
        Member[] table = slots;
        int key = keyOf(context);
        int first = slotOf(key, 0);
        Member s = table[first];
        if (s == null || Availability.canTake(s, context)) {
            return s;
        }
        if (!options.fallback()) {
            return null;
        }
        int m = table.length;
        for (int k = 0; k < m; k++) {
            int offset = k + first;
            s = table[slotOf(key, offset >= m ? offset - m : offset)];
            if (s == null) {
                return null;
            }
            if (Availability.canTake(s, context)) {
                return s;
            }
        }
        return null;
    }

    /** The table as of the last update, for tests. */
    Member[] slots() {
        return slots.clone();
    }

    /**
     * The kernel's 32-bit key value: the client's address (plus its port with mh-port) when the key is the client's
     * address, else the backend's 64-bit {@code hash_key} folded to 32 bits.
     */
    int keyOf(PickContext context) {
        InetSocketAddress client = context.client();
        if (client != null && (options.port() || context.hashKey() == AddressKeys.mixed(client, false))) {
            return (options.port() ? client.getPort() : 0) + AddressKeys.ipvsValue(client);
        }
        long k = context.hashKey();
        return (int) (k ^ (k >>> 32));
    }

    int slotOf(int key, int offset) {
        return MaglevTable.slot(key, offset, options.tableSize());
    }
}
