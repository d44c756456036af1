package dev.ferry.transport;

import dev.ferry.config.ProxyProtocolVersion;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The PROXY protocol (v1 text, v2 binary) through Netty's codec: what Ferry sends to servers with
 * {@code send_proxy}, and how a received header becomes the connection's client and destination.
 */
public final class ProxyProtocol {
    private ProxyProtocol() {
    }

    /** The original client and the address it connected to, as a PROXY header states them. */
    public record Endpoints(InetSocketAddress source, InetSocketAddress destination) {
    }

    /**
     * Reads a decoded header. A {@code LOCAL} command (health checks from the sending proxy itself) or an
     * {@code UNKNOWN} protocol carries no addresses: then the connection's own addresses stand.
     *
     * @return the stated endpoints, or null when the header states none
     * @throws HAProxyProtocolException when a stated address is not an IP address or a port is 0 (no TCP connection
     *                                  has it; Netty's v1 decoder refuses it too, so it could not be passed on with
     *                                  {@code send_proxy: v1}: found by fuzzing)
     */
    public static Endpoints endpoints(HAProxyMessage header) {
        if (header.command() != HAProxyCommand.PROXY
                || header.proxiedProtocol().transportProtocol() != HAProxyProxiedProtocol.TransportProtocol.STREAM
                || header.sourceAddress() == null || header.destinationAddress() == null) {
            return null;
        }
        if (header.sourcePort() == 0 || header.destinationPort() == 0) {
            throw new HAProxyProtocolException("port 0 in a PROXY header");
        }
        return new Endpoints(new InetSocketAddress(literal(header.sourceAddress()), header.sourcePort()),
                new InetSocketAddress(literal(header.destinationAddress()), header.destinationPort()));
    }

    private static InetAddress literal(String address) {
        // A textual IP address from the codec: parsed without any name lookup.
        InetAddress parsed = NetUtil.createInetAddressFromIpAddressString(address);
        if (parsed == null) {
            throw new HAProxyProtocolException("not an IP address: " + address);
        }
        return parsed;
    }

    /**
     * Writes a PROXY header stating {@code source} -> {@code destination} as the first bytes on {@code server}
     * (not flushed). Two IPv4 addresses give TCP4; anything else TCP6, with IPv4 addresses in their mapped form.
     */
    public static void write(Channel server, ProxyProtocolVersion version, InetSocketAddress source,
                             InetSocketAddress destination) {
        boolean v4 = source.getAddress() instanceof Inet4Address && destination.getAddress() instanceof Inet4Address;
        HAProxyMessage header = new HAProxyMessage(
                version == ProxyProtocolVersion.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                text(source.getAddress(), v4), text(destination.getAddress(), v4),
                source.getPort(), destination.getPort());
        server.pipeline().addFirst(HAProxyMessageEncoder.INSTANCE);
        server.write(header, server.voidPromise());
        server.pipeline().remove(HAProxyMessageEncoder.INSTANCE);
    }

    private static String text(InetAddress address, boolean v4) {
        if (v4 || !(address instanceof Inet4Address)) {
            return address.getHostAddress();
        }
        return "::ffff:" + address.getHostAddress();
    }
}
