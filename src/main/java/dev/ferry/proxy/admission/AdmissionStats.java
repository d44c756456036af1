package dev.ferry.proxy.admission;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link RuleStats} of one frontend's rules by name, kept over reloads. A rule that a reload removed keeps its
 * counters (metrics only grow) but shows no tracked keys.
 *
 * <p>Threading: any thread.
 */
public final class AdmissionStats {
    /** The name of a frontend's own rule (its {@code allow}/{@code deny} and {@code rate_limit}). */
    public static final String FRONTEND = "frontend";

    private final ConcurrentMap<String, RuleStats> rules = new ConcurrentHashMap<>();

    /** The stats of {@code rule}, made on first use. */
    public RuleStats rule(String rule) {
        return rules.computeIfAbsent(rule, RuleStats::new);
    }

    /** The stats of {@code rule} when it has had rules, else null (nothing made). */
    RuleStats existing(String rule) {
        return rules.get(rule);
    }

    /** Every rule that has existed, by name order. */
    public List<RuleStats> rules() {
        return rules.values().stream().sorted(java.util.Comparator.comparing(RuleStats::rule)).toList();
    }

    /** Access refusals over all rules. */
    public long denied() {
        return rules.values().stream().mapToLong(RuleStats::deniedCount).sum();
    }
}
