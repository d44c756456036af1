package dev.ferry.transport;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Formats socket addresses the way the configuration writes them: {@code 127.0.0.1:80}, {@code [::1]:80}. */
public final class Addresses {
    private Addresses() {
    }

    public static String format(SocketAddress address) {
        if (!(address instanceof InetSocketAddress isa)) {
            return String.valueOf(address);
        }
        String host = isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
        boolean v6 = isa.getAddress() instanceof Inet6Address || host.indexOf(':') >= 0;
        return (v6 ? "[" + host + "]" : host) + ":" + isa.getPort();
    }
}
