package dev.ferry.schedule.hash;

import java.net.InetSocketAddress;

/** {@code hash_key: source_ip}: the client's IP address, without its port. Both layers. */
public record SourceIpKey() implements HashKeyExtractor {
    @Override
    public long keyOf(InetSocketAddress client, HttpRequestView request) {
        return HashKeyExtractor.sourceFallback(client);
    }

    @Override
    public boolean needsHttp() {
        return false;
    }

    @Override
    public String spec() {
        return "source_ip";
    }
}
