package dev.ferry.director;

import dev.ferry.config.DirectorConfig.Defense;
import dev.ferry.config.DirectorConfig.Defense.Strategy;

/**
 * One worker's defence against SYN floods, IPVS's {@code update_defense_level} with the worker's share of the
 * connection table standing in for memory: below {@code threshold} per cent of its limit the automatic strategies
 * rest; above it, with {@code free} entries left of the {@code reserve} the threshold leaves,
 * <ul>
 *   <li>{@code drop_packet} drops one new connection in {@code reserve / (reserve - free)}, so none at the
 *   threshold and every one when the table is full ({@code always}: one in ten, IPVS's {@code am_droprate});</li>
 *   <li>{@code drop_entry} has the worker drop a random sample of half-open entries every second;</li>
 *   <li>{@code secure_tcp} switches the table to {@code tcp_states_dos} and short half-open timeouts.</li>
 * </ul>
 * The level is worked out on each 100 ms tick.
 *
 * <p>Threading: {@link #update} and {@link #dropNewConnection} run on the worker; the flags are volatile for the
 * admin API, {@link #reconfigure} may come from any thread.
 */
final class SynDefense {
    /** IPVS's {@code am_droprate}: with {@code drop_packet: always}, one new connection in this many is dropped. */
    static final int ALWAYS_DROP_RATE = 10;

    private volatile Defense config;
    private volatile boolean dropEntry;
    private volatile boolean dropPacket;
    private volatile boolean secureTcp;
    private int dropRate;
    private int dropCounter;

    SynDefense(Defense config) {
        this.config = config;
    }

    void reconfigure(Defense next) {
        this.config = next;
    }

    /** Works out the strategies in force for a table holding {@code size} of {@code limit} entries. */
    void update(int size, int limit) {
        Defense c = config;
        long reserve = (long) limit * (100 - c.thresholdPercent()) / 100;
        long free = Math.max(0, limit - size);
        boolean short_ = free < reserve;
        dropEntry = on(c.dropEntry(), short_);
        secureTcp = on(c.secureTcp(), short_);
        int rate = switch (c.dropPacket()) {
            case OFF -> 0;
            case ALWAYS -> ALWAYS_DROP_RATE;
            case AUTO -> short_ ? (int) Math.max(1, reserve / Math.max(1, reserve - free)) : 0;
        };
        if (rate != dropRate) {
            dropRate = rate;
            dropCounter = rate;
        }
        dropPacket = rate > 0;
    }

    private static boolean on(Strategy s, boolean short_) {
        return s == Strategy.ALWAYS || (s == Strategy.AUTO && short_);
    }

    /** Whether to drop this new connection ({@code ip_vs_todrop}). */
    boolean dropNewConnection() {
        if (dropRate == 0) {
            return false;
        }
        if (--dropCounter > 0) {
            return false;
        }
        dropCounter = dropRate;
        return true;
    }

    boolean dropEntry() {
        return dropEntry;
    }

    boolean dropPacket() {
        return dropPacket;
    }

    boolean secureTcp() {
        return secureTcp;
    }
}
