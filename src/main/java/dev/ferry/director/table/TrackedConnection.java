package dev.ferry.director.table;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.director.packet.Ipv4;

/**
 * One entry of the director's connection table (IPVS {@code ip_vs_conn}): a client's flow to a virtual service,
 * bound to one real server for its life. The entry carries its own links in the table's two hash chains and in the
 * timing wheel, so tracking a connection costs one object (and its lease) and looking one up allocates nothing.
 *
 * <p>Threading: owned by the {@link ConnectionTable}'s thread.
 */
public final class TrackedConnection {
    final int protocol;
    final int clientAddress;
    final int clientPort;
    final int virtualAddress;
    final int virtualPort;
    final int realAddress;
    final int realPort;
    final int service;
    final ConnectionLease lease;
    /** Whether replies pass the director (NAT): the entry is then also found from the reply direction. */
    final boolean replies;
    /** The TCP state; null for UDP. */
    TcpState state;
    /** No reply seen yet on a connection whose replies bypass the director (IPVS {@code IP_VS_CONN_F_NOOUTPUT}). */
    boolean noOutput;
    long expiresAt;
    /** Whether the entry is in the table (false once it expired or was removed). */
    boolean linked;
    /** The persistence template that placed it, which counts it while it is tracked; null without persistence. */
    PersistenceTemplate template;
    /** How its packets reach the real server, as the pipeline that added it numbers its methods (0: NAT). */
    int forwarding;
    /** When the table last told its {@link ConnectionTable.Listener} about the entry (sync). */
    long syncedAt = Long.MIN_VALUE / 2;

    TrackedConnection inboundNext;
    TrackedConnection outboundNext;
    TrackedConnection wheelPrev;
    TrackedConnection wheelNext;
    long wheelTick;

    TrackedConnection(int protocol, int clientAddress, int clientPort, int virtualAddress, int virtualPort,
                      int realAddress, int realPort, int service, ConnectionLease lease, boolean noOutput) {
        this.protocol = protocol;
        this.clientAddress = clientAddress;
        this.clientPort = clientPort;
        this.virtualAddress = virtualAddress;
        this.virtualPort = virtualPort;
        this.realAddress = realAddress;
        this.realPort = realPort;
        this.service = service;
        this.lease = lease;
        this.replies = !noOutput;
        this.noOutput = noOutput;
        this.state = protocol == Ipv4.TCP ? TcpState.NONE : null;
    }

    public int protocol() {
        return protocol;
    }

    public int clientAddress() {
        return clientAddress;
    }

    public int clientPort() {
        return clientPort;
    }

    public int virtualAddress() {
        return virtualAddress;
    }

    public int virtualPort() {
        return virtualPort;
    }

    public int realAddress() {
        return realAddress;
    }

    public int realPort() {
        return realPort;
    }

    /** The index of the virtual service this connection belongs to. */
    public int service() {
        return service;
    }

    public ConnectionLease lease() {
        return lease;
    }

    /** The TCP state, or null for UDP. */
    public TcpState state() {
        return state;
    }

    /** What {@code ipvsadm -Lnc} prints as the state: the TCP state's name, or {@code UDP}. */
    public String stateName() {
        return state == null ? "UDP" : state.name();
    }

    /** Whether replies pass the director (NAT), so the entry is found from the reply direction too. */
    public boolean replies() {
        return replies;
    }

    public boolean noOutput() {
        return noOutput;
    }

    public long expiresAt() {
        return expiresAt;
    }

    /**
     * How the connection's packets reach its server (IPVS keeps the method in each connection's flags, so a
     * service changed by a reload leaves its connections as they were): a number of the pipeline's, 0 for NAT.
     */
    public int forwarding() {
        return forwarding;
    }

    /** Sets {@link #forwarding()}: once, by the pipeline that added the entry, before its first packet goes on. */
    public void forwarding(int method) {
        this.forwarding = method;
    }

    /** The persistence template that placed this connection, or null. */
    public PersistenceTemplate template() {
        return template;
    }

    @Override
    public String toString() {
        return (protocol == Ipv4.TCP ? "TCP " : "UDP ") + stateName() + " " + Ipv4.format(clientAddress) + ":"
                + clientPort + " -> " + Ipv4.format(virtualAddress) + ":" + virtualPort + " -> "
                + Ipv4.format(realAddress) + ":" + realPort;
    }
}
