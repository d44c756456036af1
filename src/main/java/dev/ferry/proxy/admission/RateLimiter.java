package dev.ferry.proxy.admission;

import dev.ferry.config.Cidr;
import dev.ferry.config.HashKey;
import dev.ferry.config.RateLimitConfig;
import dev.ferry.schedule.hash.Hash64;
import dev.ferry.schedule.hash.HashKeyExtractor;
import dev.ferry.schedule.hash.HashKeys;
import dev.ferry.schedule.hash.HttpRequestView;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One {@code rate_limit:} rule: its key (the source network under {@code netmask}/{@code netmask6}, or a header's or
 * cookie's value), its buckets and concurrency limits, and the table of keys they are counted in. Over a limit the
 * caller refuses (a reset at accept, the rule's status with Retry-After for a request).
 *
 * <p>Threading: any thread; state lives in the {@link KeyTable}.
 */
public final class RateLimiter {
    /** What {@link #admitConnection} returns for an allowed connection that needs no release. */
    public static final KeyTable.Entry UNCOUNTED = new KeyTable.Entry(0);

    private final RateLimitConfig config;
    private final KeyTable table;
    private final RuleStats stats;
    /** Null for {@code source_ip}. */
    private final HashKeyExtractor extractor;
    private final long mask4;
    private final long mask6High;
    private final long mask6Low;

    private RateLimiter(RateLimitConfig config, KeyTable table, RuleStats stats) {
        this.config = config;
        this.table = table;
        this.stats = stats;
        this.extractor = config.key().kind() == HashKey.Kind.SOURCE_IP ? null : HashKeys.of(config.key());
        this.mask4 = config.netmask() == 0 ? 0 : (0xffffffffL << (32 - config.netmask())) & 0xffffffffL;
        this.mask6High = Cidr.mask(config.netmask6());
        this.mask6Low = Cidr.mask(config.netmask6() - 64);
        stats.table(table);
    }

    /**
     * The limiter of {@code config}; it takes over the keys of {@code previous} when that had the same configuration
     * (a reload that changed something else keeps the buckets as they are).
     */
    public static RateLimiter of(RateLimitConfig config, RuleStats stats, RateLimiter previous) {
        KeyTable table = previous != null && previous.config.equals(config) ? previous.table
                : new KeyTable(config.size(), config.expire().toNanos(),
                TokenBucket.of(config.requestsPerSecond(), config.burst()),
                TokenBucket.of(config.connectionsPerSecond(), config.connectionsBurst()));
        return new RateLimiter(config, table, stats);
    }

    public RateLimitConfig config() {
        return config;
    }

    KeyTable table() {
        return table;
    }

    /** The key of a source address under the rule's netmasks (no allocation for IPv4). */
    public long sourceKey(InetAddress a) {
        if (a == null) {
            return 0;
        }
        if (a instanceof Inet4Address) {
            return 0x1_0000_0000L | (NetworkSet.ipv4(a) & mask4);
        }
        byte[] b = a.getAddress();
        return Hash64.mix(NetworkSet.toLong(b, 0) & mask6High, NetworkSet.toLong(b, 8) & mask6Low);
    }

    /** The key of a request: the header's or cookie's value (its source address without one), or the source network. */
    public long requestKey(InetSocketAddress source, HttpRequestView request) {
        return extractor == null ? sourceKey(source.getAddress()) : extractor.keyOf(source, request);
    }

    /** Whether the key reads the request ({@code header:} or {@code cookie:}). */
    public boolean keysByRequest() {
        return extractor != null;
    }

    /**
     * Admits a new connection from {@code source} under {@code connections_per_second} and
     * {@code concurrent_connections}.
     *
     * @return null when refused; {@link #UNCOUNTED}, or the entry to {@link #releaseConnection} when it closes
     */
    public KeyTable.Entry admitConnection(InetAddress source, long now) {
        if (!config.limitsConnections()) {
            return UNCOUNTED;
        }
        long key = sourceKey(source);
        KeyTable.Entry slot = UNCOUNTED;
        if (config.concurrentConnections() > 0) {
            slot = table.acquire(key, now, true, config.concurrentConnections());
            if (slot == null) {
                stats.limited();
                return null;
            }
        }
        if (config.connectionsPerSecond() > 0 && table.takeConnection(key, now) > 0) {
            if (slot != UNCOUNTED) {
                table.release(slot, true, now);
            }
            stats.limited();
            return null;
        }
        stats.allowed();
        return slot;
    }

    public void releaseConnection(KeyTable.Entry slot, long now) {
        if (slot != UNCOUNTED && slot != null) {
            table.release(slot, true, now);
        }
    }

    /**
     * Admits a request of {@code key} under {@code concurrent_requests} and {@code requests_per_second}.
     *
     * @param pass where the slot to release goes, and the Retry-After when refused
     * @return whether it may go on
     */
    boolean admitRequest(long key, long now, RequestPass pass) {
        if (!config.limitsRequests()) {
            return true;
        }
        KeyTable.Entry slot = null;
        if (config.concurrentRequests() > 0) {
            slot = table.acquire(key, now, false, config.concurrentRequests());
            if (slot == null) {
                stats.limited();
                pass.refuse(config.status(), 1, "too many requests of this client are in progress");
                return false;
            }
        }
        if (config.requestsPerSecond() > 0) {
            long wait = table.takeRequest(key, now);
            if (wait > 0) {
                if (slot != null) {
                    table.release(slot, false, now);
                }
                stats.limited();
                pass.refuse(config.status(), Math.max(1, (wait + 999_999_999L) / 1_000_000_000L),
                        "this client sent more requests than its rate allows; try again later");
                return false;
            }
        }
        if (slot != null) {
            pass.hold(this, slot);
        }
        stats.allowed();
        return true;
    }

    void releaseRequest(KeyTable.Entry slot, long now) {
        table.release(slot, false, now);
    }
}
