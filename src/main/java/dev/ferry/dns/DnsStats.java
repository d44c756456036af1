package dev.ferry.dns;

import io.netty.handler.codec.dns.DnsResponseCode;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the DNS responder: queries answered by zone and result code (for
 * {@code ferry_dns_queries_total{zone,rcode}}), and the events an operator should see.
 *
 * <p>Queries outside every zone are counted under the zone {@link #NO_ZONE}. Result codes are named as in RFC 1035
 * and RFC 6891 ({@code NOERROR}, {@code NXDOMAIN}, {@code REFUSED}, {@code FORMERR}, {@code NOTIMP},
 * {@code BADVERS}). Threading: updated from every event loop; all counters are atomics.
 */
public final class DnsStats {
    /** The zone label of queries that fall in no configured zone (and of malformed ones). */
    public static final String NO_ZONE = "";

    private final ConcurrentHashMap<String, ConcurrentHashMap<String, LongAdder>> queries = new ConcurrentHashMap<>();
    private final LongAdder truncated = new LongAdder();
    private final LongAdder allServersDown = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder tcpQueries = new LongAdder();

    void answered(String zone, int rcode) {
        queries.computeIfAbsent(zone, z -> new ConcurrentHashMap<>())
                .computeIfAbsent(rcodeName(rcode), r -> new LongAdder()).increment();
    }

    static String rcodeName(int rcode) {
        return rcode == 16 ? "BADVERS"
                : DnsResponseCode.valueOf(rcode).toString().replaceFirst("\\(.*", "").toUpperCase(java.util.Locale.ROOT);
    }

    void countTruncated() {
        truncated.increment();
    }

    void countAllServersDown() {
        allServersDown.increment();
    }

    void countDropped() {
        dropped.increment();
    }

    void countTcp() {
        tcpQueries.increment();
    }

    /** Queries answered so far: zone, then result code name, then count. A copy; sorted. */
    public Map<String, Map<String, Long>> queriesByZoneAndRcode() {
        Map<String, Map<String, Long>> copy = new TreeMap<>();
        queries.forEach((zone, codes) -> {
            Map<String, Long> c = new TreeMap<>();
            codes.forEach((code, n) -> c.put(code, n.sum()));
            copy.put(zone, c);
        });
        return copy;
    }

    /** Queries answered in {@code zone} with result code {@code rcode} (e.g. "NXDOMAIN"). */
    public long queries(String zone, String rcode) {
        Map<String, LongAdder> codes = queries.get(zone);
        LongAdder n = codes == null ? null : codes.get(rcode);
        return n == null ? 0 : n.sum();
    }

    /** UDP answers sent with the TC bit because they did not fit the client's payload size. */
    public long truncated() {
        return truncated.sum();
    }

    /**
     * Answers of backend-backed records made while no server of the backend was up, which therefore listed every
     * server (failing open, as a GSLB does).
     */
    public long allServersDown() {
        return allServersDown.sum();
    }

    /** Datagrams dropped unanswered: too short to carry a DNS header, or responses rather than queries. */
    public long dropped() {
        return dropped.sum();
    }

    /** Queries received over TCP. */
    public long tcpQueries() {
        return tcpQueries.sum();
    }
}
