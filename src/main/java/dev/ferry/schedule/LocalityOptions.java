package dev.ferry.schedule;

import java.time.Duration;

/**
 * Options of lblc and lblcr.
 *
 * @param expiration idle time after which a cache entry goes at the next full sweep (IPVS sysctl
 *                   {@code lblc_expiration} / {@code lblcr_expiration}, default 24h); for lblcr also how long a
 *                   set must go unchanged before it sheds its most loaded member. Option {@code expiration}.
 * @param ipvsQuirks reproduce IPVS exactly (default): the cache-hit path ignores the threshold overload flag
 *                   ({@code max_connections}), and lblcr's shrink step ignores that flag and membership. With
 *                   {@code ipvs_quirks: false} a hit on a flagged server schedules afresh, and the shrink step drops
 *                   members that have left the backend first.
 */
public record LocalityOptions(Duration expiration, boolean ipvsQuirks) {
    public static final LocalityOptions DEFAULT = new LocalityOptions(Duration.ofHours(24), true);

    /**
     * The options of {@code config} (lblc or lblcr), defaults filled in.
     *
     * @throws IllegalArgumentException naming the first problem, when there is any
     */
    public static LocalityOptions of(dev.ferry.config.SchedulerConfig config) {
        return SchedulerOptions.readValid(config, LocalityOptions::read);
    }

    static LocalityOptions read(SchedulerOptions o) {
        return new LocalityOptions(o.duration("expiration", DEFAULT.expiration()), o.flag("ipvs_quirks", true));
    }
}
