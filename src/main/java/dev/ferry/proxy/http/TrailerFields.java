package dev.ferry.proxy.http;

/**
 * The fields a trailer section may not carry on the way through (RFC 9110 6.5.1: a sender must not generate, and a
 * recipient must not merge into the header section, fields needed for framing, routing, request modifiers,
 * authentication, payload processing or the connection). Ferry drops them, in both directions: a trailer saying
 * {@code Content-Length} or {@code Transfer-Encoding} after the body is framed changes nothing here, and must not
 * reach a next hop that might believe it.
 *
 * <p>Threading: stateless.
 */
final class TrailerFields {
    /** Lower case. */
    private static final String[] FORBIDDEN = {
            // framing
            "content-length", "transfer-encoding", "trailer",
            // routing and request modifiers
            "host", "expect", "max-forwards", "range", "cache-control", "pragma",
            // the connection (hop-by-hop)
            "connection", "keep-alive", "proxy-connection", "te", "upgrade",
            // payload processing
            "content-encoding", "content-type", "content-range",
            // authentication and state
            "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate", "cookie", "set-cookie",
    };

    private TrailerFields() {
    }

    /** Whether a trailer field named {@code lowerName} (lower case) must be dropped. */
    static boolean isForbidden(String lowerName) {
        for (String name : FORBIDDEN) {
            if (name.equals(lowerName)) {
                return true;
            }
        }
        return false;
    }

    /** Whether received field {@code i} of a trailer section must be dropped. */
    static boolean isForbidden(HeadFields trailers, int i) {
        for (String name : FORBIDDEN) {
            if (trailers.nameIs(i, name)) {
                return true;
            }
        }
        return false;
    }
}
