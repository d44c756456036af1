package dev.ferry.schedule.hash;

import java.net.InetSocketAddress;

/**
 * {@code hash_key: header:NAME}: the first value of a request header (name matched case-insensitively, value
 * exactly). A request without the header, or with an empty one, uses the source-address fallback. Layer 7.
 *
 * @param name the header name; a non-empty HTTP token
 */
public record HeaderKey(String name) implements HashKeyExtractor {
    @Override
    public long keyOf(InetSocketAddress client, HttpRequestView request) {
        String value = request == null ? null : request.header(name);
        return value == null || value.isEmpty() ? HashKeyExtractor.sourceFallback(client) : Hash64.of(value);
    }

    @Override
    public boolean needsHttp() {
        return true;
    }

    @Override
    public String spec() {
        return "header:" + name;
    }
}
