package dev.ferry.proxy.admission;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one rule of a frontend ({@code frontend}, or a route {@code routes[N]}): sources its access rules
 * refused, and connections or requests its rate limit let through or refused. Survives reloads (a frontend keeps
 * the stats of a rule by name), so counters only grow.
 *
 * <p>Threading: updated from every event loop; LongAdders.
 */
public final class RuleStats {
    private final String rule;
    private final LongAdder denied = new LongAdder();
    private final LongAdder allowed = new LongAdder();
    private final LongAdder limited = new LongAdder();
    /** The rule's current key table; null when it has no rate limit. */
    private volatile KeyTable table;

    RuleStats(String rule) {
        this.rule = rule;
    }

    public String rule() {
        return rule;
    }

    void denied() {
        denied.increment();
    }

    /** A source its access rules refused, counted by a frontend that checks them itself (udp). */
    public void countDenied() {
        denied.increment();
    }

    void allowed() {
        allowed.increment();
    }

    void limited() {
        limited.increment();
    }

    void table(KeyTable table) {
        this.table = table;
    }

    /** Sources refused by the access rules (connections at layer 4, datagrams for udp, requests at layer 7). */
    public long deniedCount() {
        return denied.sum();
    }

    /** Connections or requests the rate limit let through. */
    public long allowedCount() {
        return allowed.sum();
    }

    /** Connections or requests the rate limit refused (reset, or 429). */
    public long limitedCount() {
        return limited.sum();
    }

    /** Whether the rule has a rate limit now. */
    public boolean rateLimited() {
        return table != null;
    }

    /** Keys its rate limit tracks now, with the idle ones swept out first (0 without a rate limit). */
    public int trackedKeys(long now) {
        KeyTable t = table;
        return t == null ? 0 : t.sweep(now);
    }
}
