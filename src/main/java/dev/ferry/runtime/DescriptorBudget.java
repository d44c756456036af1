package dev.ferry.runtime;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.Mode;

import java.lang.management.ManagementFactory;
import java.util.OptionalLong;

/**
 * The file descriptors a configuration may need against those the process may open ({@code RLIMIT_NOFILE}): every
 * connection of a tcp or http frontend holds two (the client's and the server's), and the process keeps
 * {@link #RESERVE} for listeners, event loops, health checks, logs and the JVM itself. HAProxy derives its maxconn
 * from the same limit; Ferry keeps the configured {@code max_connections} and says at start, in the log and the
 * banner, when the limit cannot hold them (past it, new connections fail with "too many open files").
 *
 * @param needed descriptors the frontends' {@code max_connections} may take at once, with the reserve
 * @param limit  the process's limit, or -1 when the platform does not tell
 */
public record DescriptorBudget(long needed, long limit) {
    /** Descriptors kept for everything but proxied connections. */
    public static final int RESERVE = 256;

    /** The budget of {@code config} under this process's limit. */
    public static DescriptorBudget of(FerryConfig config) {
        return of(config, processLimit().orElse(-1));
    }

    static DescriptorBudget of(FerryConfig config, long limit) {
        long needed = RESERVE;
        for (FrontendConfig fc : config.frontends()) {
            if (fc.mode() == Mode.TCP || fc.mode() == Mode.HTTP) {
                needed += 2L * fc.maxConnections();
            }
        }
        return new DescriptorBudget(needed, limit);
    }

    /** The process's RLIMIT_NOFILE as the JVM applies it (it raises the soft limit to the hard one at start). */
    static OptionalLong processLimit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return OptionalLong.of(unix.getMaxFileDescriptorCount());
        }
        return OptionalLong.empty();
    }

    /** True when the limit holds every frontend at its {@code max_connections} (or the limit is unknown). */
    public boolean enough() {
        return limit < 0 || needed <= limit;
    }

    /** The largest {@code max_connections} over all tcp/http frontends together that the limit holds. */
    public long connectionsTheLimitHolds() {
        return Math.max(0, (limit - RESERVE) / 2);
    }

    /** One line for the log and the banner. */
    public String describe() {
        if (limit < 0) {
            return "file descriptors: the platform does not tell the limit; max_connections may need " + fmt(needed);
        }
        String s = "file descriptors: limit " + fmt(limit) + " (RLIMIT_NOFILE), max_connections may need " + fmt(needed)
                + " (2 per connection of tcp/http frontends + " + RESERVE + ")";
        if (!enough()) {
            s += ": NOT ENOUGH; past about " + fmt(connectionsTheLimitHolds()) + " connections in all, new ones fail "
                    + "with \"too many open files\" (raise the limit: ulimit -n, systemd LimitNOFILE=; or lower "
                    + "max_connections)";
        }
        return s;
    }

    private static String fmt(long n) {
        return String.format("%,d", n);
    }
}
