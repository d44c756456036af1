package dev.ferry.dns;

import io.netty.handler.codec.dns.DnsResponseCode;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

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
    private final LongAdder tcpPaused = new LongAdder();
    private final LongAdder tcpRefused = new LongAdder();
    private volatile IntSupplier tcpConnections = () -> 0;
    private volatile LongSupplier tcpPendingBytes = () -> 0;

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

    void countTcpPaused() {
        tcpPaused.increment();
    }

    void countTcpRefused() {
        tcpRefused.increment();
    }

    /** Where the TCP gauges come from: the responder's open connections. */
    void tcpGauges(IntSupplier connections, LongSupplier pendingBytes) {
        this.tcpConnections = connections;
        this.tcpPendingBytes = pendingBytes;
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

    /**
     * Times a TCP connection stopped being read because its client did not take its answers (the unsent answers
     * reached {@code DnsResponder.TCP_WATER_MARK}'s high mark); it is read again once they drain.
     */
    public long tcpPaused() {
        return tcpPaused.sum();
    }

    /** TCP connections closed at once because {@code DnsResponder.MAX_TCP_CONNECTIONS} were open. */
    public long tcpRefused() {
        return tcpRefused.sum();
    }

    /** TCP connections open now (a gauge). */
    public int tcpConnections() {
        return tcpConnections.getAsInt();
    }

    /** Answer bytes written to TCP connections and not yet sent, over every connection, now (a gauge). */
    public long tcpPendingBytes() {
        return tcpPendingBytes.getAsLong();
    }
}
