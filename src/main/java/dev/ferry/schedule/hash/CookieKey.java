package dev.ferry.schedule.hash;

import java.net.InetSocketAddress;

/**
 * {@code hash_key: cookie:NAME}: the value of one cookie from the request's {@code Cookie} header (RFC 6265
 * {@code name=value; name2=value2}; the name matches exactly, surrounding double quotes are kept as part of the
 * value). A request without that cookie, or with an empty value, uses the source-address fallback. Layer 7.
 *
 * @param name the cookie name; a non-empty HTTP token
 */
public record CookieKey(String name) implements HashKeyExtractor {
    @Override
    public long keyOf(InetSocketAddress client, HttpRequestView request) {
        String value = request == null ? null : valueIn(request.header("Cookie"));
        return value == null || value.isEmpty() ? HashKeyExtractor.sourceFallback(client) : Hash64.of(value);
    }

    /** The cookie's value in a {@code Cookie} header, or null. */
    String valueIn(String cookieHeader) {
        if (cookieHeader == null) {
            return null;
        }
        int at = 0;
        int length = cookieHeader.length();
        while (at < length) {
            int end = cookieHeader.indexOf(';', at);
            if (end < 0) {
                end = length;
            }
            int eq = cookieHeader.indexOf('=', at);
            if (eq > at && eq < end && cookieHeader.substring(at, eq).strip().equals(name)) {
                return cookieHeader.substring(eq + 1, end).strip();
            }
            at = end + 1;
        }
        return null;
    }

    @Override
    public boolean needsHttp() {
        return true;
    }

    @Override
    public String spec() {
        return "cookie:" + name;
    }
}
