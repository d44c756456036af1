package dev.ferry.director;

import dev.ferry.director.packet.Ipv4;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;

/**
 * The way from the director to a real server of a tunnel service: the address the director's own stack would send
 * from (the outer source of its IPIP packets, as {@code ip_vs_tunnel_xmit} takes the route's preferred source) and
 * the MTU of the interface that has that address (what an encapsulated packet must fit).
 */
@FunctionalInterface
public interface TunnelRoutes {
    /** Used when the interface's MTU cannot be read: Ethernet's. */
    int DEFAULT_MTU = 1500;

    /** The route to {@code realAddress}, or null when the director has none. May block briefly (system calls). */
    Route resolve(int realAddress);

    /** @param source the director's address toward the server; @param mtu that interface's MTU */
    record Route(int source, int mtu) {
    }

    /**
     * Asks the kernel, in the director's own network namespace: a UDP socket connected to the server (which sends
     * nothing) is given the route's source address, whose interface gives the MTU.
     */
    TunnelRoutes SYSTEM = realAddress -> {
        byte[] b = Ipv4.bytes(realAddress);
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(new InetSocketAddress(InetAddress.getByAddress(b), 9));
            InetAddress local = s.getLocalAddress();
            if (local == null || local.isAnyLocalAddress() || local.getAddress().length != 4) {
                return null;
            }
            int mtu = DEFAULT_MTU;
            NetworkInterface nic = NetworkInterface.getByInetAddress(local);
            if (nic != null && nic.getMTU() > Ipv4.MIN_HEADER * 2) {
                mtu = nic.getMTU();
            }
            return new Route(Ipv4.address(local.getAddress()), mtu);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    };
}
