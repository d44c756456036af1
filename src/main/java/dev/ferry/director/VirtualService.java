package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.director.packet.Ipv4;

/**
 * A virtual service (LVS: VIP, port and protocol) and the backend whose real servers take its connections.
 *
 * @param index             the service's position in its director (tracked connections name it by this)
 * @param protocol          {@link Ipv4#TCP} or {@link Ipv4#UDP}
 * @param address           the virtual address, as an int
 * @param port              the virtual port; 0 for every port of the address (a connection keeps its port)
 * @param persistenceMillis how long a persistence template outlives its last connection; 0 without persistence
 * @param netmask           the client addresses that share a template agree under this mask
 * @param forwarding        how packets reach the real servers (a server's own {@code forwarding} overrides it): NAT
 *                          rewrites them, TUNNEL wraps them in IPIP, DIRECT sends them in a frame to the server's
 *                          MAC; with the last two the replies bypass the director
 * @param sloppyTcp         IPVS {@code sloppy_tcp}: a TCP packet of no tracked connection that is not a SYN (nor a
 *                          RST) is scheduled as a new connection rather than dropped
 */
public record VirtualService(int index, int protocol, int address, int port, Backend backend, long persistenceMillis,
                             int netmask, Forwarding forwarding, boolean sloppyTcp) {

    /** A service without {@code sloppy_tcp}. */
    public VirtualService(int index, int protocol, int address, int port, Backend backend, long persistenceMillis,
                          int netmask, Forwarding forwarding) {
        this(index, protocol, address, port, backend, persistenceMillis, netmask, forwarding, false);
    }

    /** A service without persistence. */
    public VirtualService(int index, int protocol, int address, int port, Backend backend) {
        this(index, protocol, address, port, backend, 0, -1);
    }

    /** A VS/NAT service. */
    public VirtualService(int index, int protocol, int address, int port, Backend backend, long persistenceMillis,
                          int netmask) {
        this(index, protocol, address, port, backend, persistenceMillis, netmask, Forwarding.NAT);
    }

    /** Whether this service is for exactly that protocol, address and port. */
    public boolean matches(int protocol, int address, int port) {
        return this.port == port && this.address == address && this.protocol == protocol;
    }

    /** Whether this is a service of every port of its address ({@code vip: A.B.C.D:0}) for {@code protocol}. */
    boolean catchesAllPorts(int protocol, int address) {
        return port == 0 && this.address == address && this.protocol == protocol;
    }

    public boolean persistent() {
        return persistenceMillis > 0;
    }

    /** {@code tcp 10.200.0.100:80}. */
    public String label() {
        return (protocol == Ipv4.TCP ? "tcp " : "udp ") + Ipv4.format(address) + ":" + port;
    }
}
