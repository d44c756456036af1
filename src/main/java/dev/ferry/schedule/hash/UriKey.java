package dev.ferry.schedule.hash;

import java.net.InetSocketAddress;

/**
 * {@code hash_key: uri}: the request target's path, without the query string (as HAProxy's {@code balance uri}
 * does by default), so {@code /img/a.png?v=2} and {@code /img/a.png} go to the same server. Layer 7.
 */
public record UriKey() implements HashKeyExtractor {
    @Override
    public long keyOf(InetSocketAddress client, HttpRequestView request) {
        if (request == null) {
            return HashKeyExtractor.sourceFallback(client);
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        return Hash64.of(query < 0 ? uri : uri.substring(0, query));
    }

    @Override
    public boolean needsHttp() {
        return true;
    }

    @Override
    public String spec() {
        return "uri";
    }
}
