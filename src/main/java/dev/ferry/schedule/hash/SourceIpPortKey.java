package dev.ferry.schedule.hash;

import java.net.InetSocketAddress;

/** {@code hash_key: source_ip_port}: the client's IP address and port. Both layers. */
public record SourceIpPortKey() implements HashKeyExtractor {
    @Override
    public long keyOf(InetSocketAddress client, HttpRequestView request) {
        return client == null ? 0 : AddressKeys.mixed(client, true);
    }

    @Override
    public boolean needsHttp() {
        return false;
    }

    @Override
    public String spec() {
        return "source_ip_port";
    }
}
