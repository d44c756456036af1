package dev.ferry.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The protocol an http frontend speaks to a backend's servers (key {@code protocol} on a backend or a server):
 * HTTP/1.1, HTTP/2 over TLS ({@code h2}, chosen by ALPN) or HTTP/2 over plain TCP by prior knowledge ({@code h2c},
 * RFC 9113 3.3). With HTTP/2 every request is a stream of a shared connection, so requests are balanced one by one
 * and a server's active count is its open streams.
 */
public enum UpstreamProtocol {
    HTTP_1_1("http/1.1"),
    H2("h2"),
    H2C("h2c");

    private final String key;

    UpstreamProtocol(String key) {
        this.key = key;
    }

    /** The name in the configuration: {@code http/1.1}, {@code h2}, {@code h2c}. */
    public String key() {
        return key;
    }

    /** Whether requests go as HTTP/2 streams. */
    public boolean isHttp2() {
        return this != HTTP_1_1;
    }

    /** The configuration names, in order, mapped to the protocols. */
    static Map<String, UpstreamProtocol> choices() {
        Map<String, UpstreamProtocol> m = new LinkedHashMap<>();
        for (UpstreamProtocol p : values()) {
            m.put(p.key, p);
        }
        return m;
    }
}
