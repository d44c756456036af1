package dev.ferry.transport;

import java.net.SocketAddress;

/**
 * Only a forwarding name for {@link dev.ferry.config.Addresses#format(SocketAddress)}, the one place that parses
 * and formats {@code HOST:PORT}. Kept for {@code proxy/http/HttpProxyConnection}, which imports it and is being
 * split (issue 17 item 1); delete this class once that file imports {@code dev.ferry.config.Addresses}.
 */
public final class Addresses {
    private Addresses() {
    }

    /** See {@link dev.ferry.config.Addresses#format(SocketAddress)}. */
    public static String format(SocketAddress address) {
        return dev.ferry.config.Addresses.format(address);
    }
}
