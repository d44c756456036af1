package dev.ferry.proxy.udp;

import java.util.concurrent.atomic.LongAdder;

/**
 * UDP-specific counters of one frontend, beside its {@link dev.ferry.proxy.FrontendStats} (where sessions count as
 * connections: {@code accepted} = sessions created, {@code active} = sessions open, {@code overLimit} = datagrams of
 * new clients dropped because the session table was full).
 *
 * <p>Threading: updated from every event loop; all fields are atomics.
 */
public final class UdpStats {
    private final LongAdder datagramsFromClients = new LongAdder();
    private final LongAdder datagramsToClients = new LongAdder();
    private final LongAdder sessionsExpired = new LongAdder();
    private final LongAdder tableFull = new LongAdder();
    private final LongAdder droppedBusy = new LongAdder();
    private final LongAdder serverUnreachable = new LongAdder();

    void datagramFromClient() {
        datagramsFromClients.increment();
    }

    void datagramToClient() {
        datagramsToClients.increment();
    }

    void sessionExpired() {
        sessionsExpired.increment();
    }

    void countTableFull() {
        tableFull.increment();
    }

    void countDroppedBusy() {
        droppedBusy.increment();
    }

    void countServerUnreachable() {
        serverUnreachable.increment();
    }

    /** Datagrams received from clients and relayed (or dropped) since start. */
    public long datagramsFromClients() {
        return datagramsFromClients.sum();
    }

    /** Datagrams sent back to clients since start. */
    public long datagramsToClients() {
        return datagramsToClients.sum();
    }

    /** Sessions closed because no datagram passed either way for the idle timeout. */
    public long sessionsExpired() {
        return sessionsExpired.sum();
    }

    /** Datagrams dropped because they would have opened a session while the table was full. */
    public long tableFull() {
        return tableFull.sum();
    }

    /** Datagrams dropped because the socket towards their destination had too much queued (a slow peer). */
    public long droppedBusy() {
        return droppedBusy.sum();
    }

    /**
     * ICMP port unreachable answers from servers (each counts a failure of its server): in session mode the session
     * ends; per datagram, the session's socket to that server closes.
     */
    public long serverUnreachable() {
        return serverUnreachable.sum();
    }
}
