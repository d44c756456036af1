package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.director.packet.Ipv4;

/**
 * A virtual service (LVS: VIP, port and protocol) and the backend whose real servers take its connections.
 *
 * @param index    the service's position in its director (tracked connections name it by this)
 * @param protocol {@link Ipv4#TCP} or {@link Ipv4#UDP}
 * @param address  the virtual address, as an int
 * @param port     the virtual port
 */
public record VirtualService(int index, int protocol, int address, int port, Backend backend) {
    public boolean matches(int protocol, int address, int port) {
        return this.port == port && this.address == address && this.protocol == protocol;
    }

    /** {@code tcp 10.200.0.100:80}. */
    public String label() {
        return (protocol == Ipv4.TCP ? "tcp " : "udp ") + Ipv4.format(address) + ":" + port;
    }
}
