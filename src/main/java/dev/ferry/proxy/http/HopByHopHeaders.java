package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Removes the hop-by-hop fields of a message before it is forwarded (RFC 9110 7.6.1): {@code Connection} and every
 * field it names, {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Trailer} and {@code Upgrade}
 * (kept, with {@code Connection: upgrade}, on a protocol upgrade that is being passed through).
 *
 * <p>The framing fields {@code Content-Length} and {@code Transfer-Encoding}, and {@code Host}, are never removed
 * because {@code Connection} names them: the message is re-framed exactly as it was decoded, and dropping its length
 * would let a body be read as the next request (request smuggling).
 *
 * <p>Threading: stateless.
 */
final class HopByHopHeaders {
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

    private HopByHopHeaders() {
    }

    /**
     * Strips the hop-by-hop fields of {@code headers} in place.
     *
     * @param keepUpgrade true to keep {@code Upgrade} and leave {@code Connection: upgrade} (a passed-through upgrade)
     */
    static void strip(HttpHeaders headers, boolean keepUpgrade) {
        String connection = headers.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            for (String line : headers.getAll(HttpHeaderNames.CONNECTION)) {
                removeNamed(headers, line, keepUpgrade);
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TRAILER);
        if (keepUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        } else {
            headers.remove(HttpHeaderNames.UPGRADE);
        }
    }

    private static void removeNamed(HttpHeaders headers, String line, boolean keepUpgrade) {
        int pos = 0;
        int n = line.length();
        while (pos < n) {
            int comma = line.indexOf(',', pos);
            int end = comma < 0 ? n : comma;
            String token = line.substring(pos, end).trim();
            if (!token.isEmpty() && !isProtected(token) && !(keepUpgrade && token.equalsIgnoreCase("upgrade"))) {
                headers.remove(token);
            }
            pos = end + 1;
        }
    }

    private static boolean isProtected(String name) {
        return name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding")
                || name.equalsIgnoreCase("host");
    }

    /** True when the {@code Connection} field lists {@code token} (case-insensitive). */
    static boolean connectionHas(HttpHeaders headers, AsciiString token) {
        return headers.containsValue(HttpHeaderNames.CONNECTION, token, true);
    }
}
