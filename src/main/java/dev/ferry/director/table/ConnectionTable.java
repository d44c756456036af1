package dev.ferry.director.table;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.TcpStateTable.Direction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The director's connection table, as IPVS's: entries keyed by (protocol, client address and port, virtual
 * address and port), also found from the reply direction (real server address and port, client address and port)
 * for NAT; each bound to one real server through a {@link ConnectionLease}, so the server's active and inactive
 * counts are IPVS's: a connection is active in ESTABLISHED and the handshake states ({@link TcpState#isActive}) and
 * inactive in every other state (UDP entries are always inactive, as the kernel counts them), moved on every
 * transition. Expiry runs on a {@link TimingWheel}; the table never holds more than its limit.
 *
 * <p>Threading: confined to one thread (the director worker that owns it); other threads reach it through tasks
 * that worker runs. Lookups allocate nothing.
 */
public final class ConnectionTable {
    private static final int MIN_BUCKETS = 1024;

    /** Per service, the entries in each TCP state and then the UDP entries: {@code STATES + 1} slots each. */
    private static final int SLOTS = TableCounts.SLOTS;

    private int limit;
    private final TimingWheel wheel;
    private final int[] byState = new int[TcpState.values().length];
    private int[] byService = new int[SLOTS * 4];
    private DirectorTimeouts timeouts;
    private TrackedConnection[] inbound = new TrackedConnection[MIN_BUCKETS];
    private TrackedConnection[] outbound = new TrackedConnection[MIN_BUCKETS];
    private int size;
    private int udp;
    private long expired;
    /** The time of the latest add, packet or expiry: when a template's connection left, for its idle timeout. */
    private long nowMillis;
    /** IPVS's {@code secure_tcp}: the {@code tcp_states_dos} transitions and short half-open timeouts. */
    private boolean secure;
    private long droppedEntries;
    private Listener listener;
    private long resyncMillis = Long.MAX_VALUE;

    /**
     * Told about each entry whose state changed (TCP; for UDP, its first packet), and again about an entry that keeps
     * seeing packets every resync period: what the connection sync sends (IPVS's {@code ip_vs_sync_conn}).
     */
    @FunctionalInterface
    public interface Listener {
        /** Called on the table's thread, with the entry's new state and timeout already set. */
        void changed(TrackedConnection e, long nowMillis);
    }

    public ConnectionTable(int limit, DirectorTimeouts timeouts, long nowMillis) {
        this.limit = limit;
        this.timeouts = timeouts;
        this.wheel = new TimingWheel(100, 8192, nowMillis);
    }

    public int size() {
        return size;
    }

    public int limit() {
        return limit;
    }

    public boolean isFull() {
        return size >= limit;
    }

    /** A new limit (a reload): entries past a lowered one stay until they end; no new ones are taken until then. */
    public void setLimit(int limit) {
        this.limit = limit;
    }

    /**
     * Tells {@code listener} about state changes and, every {@code resyncMillis} (or half the entry's timeout when that
     * is shorter, so a peer's copy never expires first), about entries that keep seeing packets; null for none.
     */
    public void setListener(Listener listener, long resyncMillis) {
        this.listener = listener;
        this.resyncMillis = resyncMillis;
    }

    /** A copy of the counters, for other threads. */
    public TableCounts counts() {
        return new TableCounts(size, limit, expired, byState.clone(), udp, byService.clone());
    }

    private void count(TrackedConnection e, int delta) {
        int i = e.service * SLOTS + (e.state != null ? e.state.ordinal() : SLOTS - 1);
        if (i >= byService.length) {
            byService = Arrays.copyOf(byService, Math.max(byService.length * 2, i + SLOTS));
        }
        byService[i] += delta;
        if (e.state != null) {
            byState[e.state.ordinal()] += delta;
        } else {
            udp += delta;
        }
    }

    /** Entries per TCP state (UDP entries are counted by {@link #udpEntries()}). */
    public int inState(TcpState state) {
        return byState[state.ordinal()];
    }

    public int udpEntries() {
        return udp;
    }

    /** Entries removed because they timed out, since start. */
    public long expiredTotal() {
        return expired;
    }

    public DirectorTimeouts timeouts() {
        return timeouts;
    }

    /** New timeouts apply from each entry's next packet, as a changed {@code ipvsadm --set} does. */
    public void setTimeouts(DirectorTimeouts timeouts) {
        this.timeouts = timeouts;
    }

    /** The entry of a client-to-virtual-service packet, or null. */
    public TrackedConnection findInbound(int protocol, int clientAddress, int clientPort, int virtualAddress,
                                         int virtualPort) {
        int h = hash(protocol, clientAddress, clientPort, virtualAddress, virtualPort);
        for (TrackedConnection e = inbound[h & (inbound.length - 1)]; e != null; e = e.inboundNext) {
            if (e.clientAddress == clientAddress && e.clientPort == clientPort && e.virtualAddress == virtualAddress
                    && e.virtualPort == virtualPort && e.protocol == protocol) {
                return e;
            }
        }
        return null;
    }

    /** The entry of a reply (real server to client) packet, or null. */
    public TrackedConnection findOutbound(int protocol, int realAddress, int realPort, int clientAddress,
                                          int clientPort) {
        int h = hash(protocol, realAddress, realPort, clientAddress, clientPort);
        for (TrackedConnection e = outbound[h & (outbound.length - 1)]; e != null; e = e.outboundNext) {
            if (e.realAddress == realAddress && e.realPort == realPort && e.clientAddress == clientAddress
                    && e.clientPort == clientPort && e.protocol == protocol) {
                return e;
            }
        }
        return null;
    }

    /**
     * Tracks a new connection bound to {@code lease}'s server, in state NONE (TCP) with NONE's timeout until its
     * first packet's transition. {@code withReplies} is false when replies bypass the director (tunnel, direct).
     *
     * @return the entry, or null when the table is full (the caller closes the lease)
     */
    public TrackedConnection add(int protocol, int clientAddress, int clientPort, int virtualAddress,
                                 int virtualPort, int realAddress, int realPort, int service,
                                 ConnectionLease lease, boolean withReplies, long nowMillis) {
        return add(protocol, clientAddress, clientPort, virtualAddress, virtualPort, realAddress, realPort, service,
                lease, withReplies, null, nowMillis);
    }

    /**
     * As {@link #add(int, int, int, int, int, int, int, int, ConnectionLease, boolean, long)}, for a connection a
     * persistence template placed (already counted by {@link PersistenceTemplate}; released when the entry leaves).
     */
    public TrackedConnection add(int protocol, int clientAddress, int clientPort, int virtualAddress,
                                 int virtualPort, int realAddress, int realPort, int service,
                                 ConnectionLease lease, boolean withReplies, PersistenceTemplate template,
                                 long nowMillis) {
        this.nowMillis = nowMillis;
        if (size >= limit) {
            return null;
        }
        TrackedConnection e = new TrackedConnection(protocol, clientAddress, clientPort, virtualAddress,
                virtualPort, realAddress, realPort, service, lease, !withReplies);
        e.template = template;
        if (size + 1 > inbound.length - (inbound.length >> 2)) {
            resize(inbound.length << 1);
        }
        int hi = hash(protocol, clientAddress, clientPort, virtualAddress, virtualPort) & (inbound.length - 1);
        e.inboundNext = inbound[hi];
        inbound[hi] = e;
        if (withReplies) {
            int ho = hash(protocol, realAddress, realPort, clientAddress, clientPort) & (outbound.length - 1);
            e.outboundNext = outbound[ho];
            outbound[ho] = e;
        }
        size++;
        e.linked = true;
        count(e, 1);
        e.expiresAt = nowMillis + (e.state != null ? timeout(e.state) : timeouts.udpMillis());
        wheel.schedule(e);
        return e;
    }

    /**
     * A packet of {@code e} travelled {@code direction} with TCP {@code flags} (ignored for UDP): moves the entry
     * to its next state (IPVS {@code set_tcp_state}, the server's counters following) and restarts its timeout.
     */
    public void seen(TrackedConnection e, Direction direction, int flags, long nowMillis) {
        this.nowMillis = nowMillis;
        if (!e.linked) {
            return;
        }
        if (e.state == null) {
            e.expiresAt = nowMillis + timeouts.udpMillis();
            wheel.rescheduled(e);
            notify(e, false, timeouts.udpMillis(), nowMillis);
            return;
        }
        Direction d = direction;
        if (e.noOutput) {
            if (direction == Direction.OUTPUT) {
                e.noOutput = false;
            } else {
                d = Direction.INPUT_ONLY;
            }
        }
        TcpState next = TcpStateTable.next(e.state, d, flags, secure);
        boolean changed = next != e.state;
        moveTo(e, next);
        long timeout = timeout(next);
        e.expiresAt = nowMillis + timeout;
        wheel.rescheduled(e);
        notify(e, changed, timeout, nowMillis);
    }

    /** Moves {@code e} to TCP state {@code next}, its server's active and inactive counts following. */
    private void moveTo(TrackedConnection e, TcpState next) {
        if (next == e.state) {
            return;
        }
        boolean wasActive = e.state.isActive();
        count(e, -1);
        e.state = next;
        count(e, 1);
        if (next.isActive() && !wasActive) {
            e.lease.activate();
        } else if (!next.isActive() && wasActive) {
            e.lease.deactivate();
        }
    }

    private void notify(TrackedConnection e, boolean changed, long timeout, long nowMillis) {
        if (listener != null && (changed || nowMillis - e.syncedAt >= Math.min(resyncMillis, timeout / 2))) {
            e.syncedAt = nowMillis;
            listener.changed(e, nowMillis);
        }
    }

    /** What {@link #synced} did. */
    public enum Synced {
        /** A new entry. */
        INSERTED,
        /** The entry was there: its state and timeout were set. */
        UPDATED,
        /** The entry was there bound to another server: it was replaced. */
        REPLACED,
        /** The table is full: nothing was done. */
        FULL
    }

    /**
     * Takes an entry a peer director synced (the standby side of connection sync): inserts it bound to
     * {@code lease}'s server when it is not tracked, or sets the state and timeout of the tracked one; an entry
     * tracked with another real server is replaced (the peer's decision stands). The server's active and inactive
     * counts follow the state ({@link TcpState#isActive()}). The entry is then forwarded like any other, and moves
     * on with its own packets. The listener is not told (a synced entry is not synced back).
     *
     * @param forwarding    the method of an entry without replies ({@link TrackedConnection#forwarding()}: the
     *                      standby's own service and server say which, as the peer's did)
     * @param state         the TCP state; ignored for UDP
     * @param timeoutMillis how long the entry lives without a packet, from now
     * @param lease         opens the lease of the entry's server; asked only when an entry is inserted
     */
    public Synced synced(int protocol, int clientAddress, int clientPort, int virtualAddress, int virtualPort,
                         int realAddress, int realPort, int service, boolean withReplies, boolean noOutput,
                         int forwarding, TcpState state, long timeoutMillis, java.util.function.Supplier<ConnectionLease> lease,
                         long nowMillis) {
        this.nowMillis = nowMillis;
        TrackedConnection e = findInbound(protocol, clientAddress, clientPort, virtualAddress, virtualPort);
        Synced result = Synced.UPDATED;
        if (e != null && (e.realAddress != realAddress || e.realPort != realPort || e.replies != withReplies)) {
            remove(e);
            e = null;
            result = Synced.REPLACED;
        }
        if (e == null) {
            if (size >= limit) {
                return Synced.FULL;
            }
            ConnectionLease l = lease.get();
            e = add(protocol, clientAddress, clientPort, virtualAddress, virtualPort, realAddress, realPort, service,
                    l, withReplies, nowMillis);
            if (result != Synced.REPLACED) {
                result = Synced.INSERTED;
            }
        }
        if (e.state != null) {
            moveTo(e, state);
        }
        if (!withReplies) {
            e.noOutput = noOutput;
            e.forwarding = forwarding;
        }
        e.expiresAt = nowMillis + timeoutMillis;
        wheel.rescheduled(e);
        return result;
    }

    /** Half-open entries live this long while {@code secure_tcp} is on (IPVS's normal table gives 60 and 120 s). */
    static final long SECURE_HALF_OPEN_MILLIS = 10_000;

    private long timeout(TcpState state) {
        long normal = timeouts.tcpMillis(state);
        return secure && (state == TcpState.SYN_RECV || state == TcpState.SYNACK)
                ? Math.min(normal, SECURE_HALF_OPEN_MILLIS) : normal;
    }

    /** Switches {@code secure_tcp} on or off; applies from each entry's next packet. */
    public void setSecure(boolean secure) {
        this.secure = secure;
    }

    public boolean secure() {
        return secure;
    }

    /** Entries {@link #dropHalfOpen} removed, since start. */
    public long droppedEntries() {
        return droppedEntries;
    }

    /**
     * IPVS's {@code drop_entry} ({@code ip_vs_random_dropentry}): looks at a thirty-second of the hash buckets,
     * starting at a random one, and removes the half-open entries (SYN_RECV, SYNACK) found there, so that a flood of
     * forged SYNs gives way to new connections. Entries in other states are kept.
     *
     * @return how many entries it removed
     */
    public int dropHalfOpen(int randomStart) {
        int buckets = Math.max(1, inbound.length >> 5);
        int dropped = 0;
        List<TrackedConnection> victims = new ArrayList<>();
        for (int i = 0; i < buckets; i++) {
            int b = (randomStart + i) & (inbound.length - 1);
            for (TrackedConnection e = inbound[b]; e != null; e = e.inboundNext) {
                if (e.state == TcpState.SYN_RECV || e.state == TcpState.SYNACK) {
                    victims.add(e);
                }
            }
        }
        for (TrackedConnection e : victims) {
            remove(e);
            dropped++;
        }
        droppedEntries += dropped;
        return dropped;
    }

    /** Removes every entry whose timeout has passed, closing its lease. */
    public void expire(long nowMillis) {
        this.nowMillis = nowMillis;
        wheel.advance(nowMillis, this::expired);
    }

    private void expired(TrackedConnection e) {
        unlink(e);
        expired++;
    }

    /** Removes {@code e} now (its server's counters let go of it); nothing happens when it already left the table. */
    public void remove(TrackedConnection e) {
        if (!e.linked) {
            return;
        }
        wheel.remove(e);
        unlink(e);
    }

    private void unlink(TrackedConnection e) {
        int hi = hash(e.protocol, e.clientAddress, e.clientPort, e.virtualAddress, e.virtualPort)
                & (inbound.length - 1);
        inbound[hi] = without(inbound[hi], e, true);
        if (e.replies) {
            int ho = hash(e.protocol, e.realAddress, e.realPort, e.clientAddress, e.clientPort)
                    & (outbound.length - 1);
            outbound[ho] = without(outbound[ho], e, false);
        }
        size--;
        e.linked = false;
        count(e, -1);
        e.lease.close();
        if (e.template != null) {
            e.template.release(nowMillis);
        }
    }

    private static TrackedConnection without(TrackedConnection head, TrackedConnection e, boolean inboundChain) {
        if (head == e) {
            TrackedConnection next = inboundChain ? e.inboundNext : e.outboundNext;
            clearLink(e, inboundChain);
            return next;
        }
        for (TrackedConnection c = head; c != null; ) {
            TrackedConnection next = inboundChain ? c.inboundNext : c.outboundNext;
            if (next == e) {
                if (inboundChain) {
                    c.inboundNext = e.inboundNext;
                } else {
                    c.outboundNext = e.outboundNext;
                }
                clearLink(e, inboundChain);
                break;
            }
            c = next;
        }
        return head;
    }

    private static void clearLink(TrackedConnection e, boolean inboundChain) {
        if (inboundChain) {
            e.inboundNext = null;
        } else {
            e.outboundNext = null;
        }
    }

    /** Removes every entry, closing their leases (the director stops). */
    public void clear() {
        List<TrackedConnection> all = new ArrayList<>(size);
        forEach(all::add);
        all.forEach(this::remove);
    }

    /** Up to {@code max} entries, for the connections API (like {@code ipvsadm -Lnc}). */
    public List<TrackedConnection> entries(int max) {
        List<TrackedConnection> out = new ArrayList<>(Math.min(max, size));
        for (TrackedConnection head : inbound) {
            for (TrackedConnection e = head; e != null && out.size() < max; e = e.inboundNext) {
                out.add(e);
            }
            if (out.size() >= max) {
                break;
            }
        }
        return out;
    }

    /** Visits every entry. */
    public void forEach(Consumer<TrackedConnection> visitor) {
        for (TrackedConnection head : inbound) {
            for (TrackedConnection e = head; e != null; e = e.inboundNext) {
                visitor.accept(e);
            }
        }
    }

    private void resize(int buckets) {
        TrackedConnection[] in = new TrackedConnection[buckets];
        TrackedConnection[] out = new TrackedConnection[buckets];
        for (TrackedConnection head : inbound) {
            for (TrackedConnection e = head; e != null; ) {
                TrackedConnection next = e.inboundNext;
                int hi = hash(e.protocol, e.clientAddress, e.clientPort, e.virtualAddress, e.virtualPort)
                        & (buckets - 1);
                e.inboundNext = in[hi];
                in[hi] = e;
                e = next;
            }
        }
        for (TrackedConnection head : outbound) {
            for (TrackedConnection e = head; e != null; ) {
                TrackedConnection next = e.outboundNext;
                int ho = hash(e.protocol, e.realAddress, e.realPort, e.clientAddress, e.clientPort)
                        & (buckets - 1);
                e.outboundNext = out[ho];
                out[ho] = e;
                e = next;
            }
        }
        inbound = in;
        outbound = out;
    }

    /** A 32-bit mix of a flow's five fields (the murmur3 finaliser over two packed words). */
    static int hash(int protocol, int addressA, int portA, int addressB, int portB) {
        long k = ((long) addressA << 32) ^ (addressB & 0xFFFFFFFFL);
        k ^= ((long) protocol << 48) ^ ((long) portA << 16) ^ portB ^ ((long) portB << 36);
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return (int) k;
    }
}
