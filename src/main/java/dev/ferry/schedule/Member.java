package dev.ferry.schedule;

import java.net.InetSocketAddress;

/**
 * What a scheduler reads of a server: its identity, its effective weight, its load and the IPVS overload flag, and
 * its place in the current {@link Snapshot}. The backend's server implements it; schedulers see nothing else of it,
 * so this package does not depend on the backend package (issue 17 item 6).
 *
 * <p>Threading: every method is a plain read of state that other threads change (counters are atomics, the rest
 * volatile); schedulers may call them from any event loop.
 */
public interface Member {
    /** The server's name, for logs and messages. */
    String name();

    /** The address the server is reached at (mh hashes it). */
    InetSocketAddress address();

    /** The effective weight; 0 while draining. A server of weight 0 takes no new connections. */
    int weight();

    /**
     * The weight the configuration or the admin API gave the server, before slow start, feedback and drain change it
     * locally; {@code mh} builds its table from it, so that every instance with the same servers has the same table.
     */
    default int configuredWeight() {
        return weight();
    }

    /** The IPVS overload flag (upper connection threshold reached, not yet below the lower one). */
    boolean isOverloaded();

    /** Position in the current snapshot ({@link Snapshot#get(int)}), or -1 when not a member. */
    int index();

    /** Connections in data transfer (for http, requests in flight). */
    int active();

    /** Connections connecting, half-closed or otherwise not transferring data. */
    int inactive();

    /** IPVS {@code ip_vs_dest_conn_overhead}: {@code active*256 + inactive}. */
    long overhead();

    /** The peak-EWMA of the server's measured latencies, for the {@code ewma} scheduler. */
    PeakEwma latency();
}
