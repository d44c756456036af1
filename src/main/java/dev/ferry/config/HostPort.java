package dev.ferry.config;

import java.net.InetSocketAddress;

/**
 * A {@code HOST:PORT} address as written in the configuration ({@code [::1]:80} for IPv6). The host is kept as
 * written; {@link #toUnresolved()} gives an address to resolve off the event loop.
 */
public record HostPort(String host, int port) {
    public InetSocketAddress toUnresolved() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** Resolves the host now (blocking: call only off the event loops, e.g. at start-up or reload). */
    public InetSocketAddress resolve() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return Addresses.format(host, port);
    }
}
