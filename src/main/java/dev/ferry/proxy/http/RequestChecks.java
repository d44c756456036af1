package dev.ferry.proxy.http;

/**
 * The RFC 9112 rules on a request head that its syntax does not show: HTTP/1.x only, exactly one {@code Host} on
 * HTTP/1.1 (and at most one on HTTP/1.0).
 *
 * <p>Threading: stateless.
 */
final class RequestChecks {
    private RequestChecks() {
    }

    /** What is wrong with a decoded head, or null when it may be forwarded. */
    static String problem(RequestHead head) {
        var v = head.version();
        if (v.majorVersion() != 1) {
            return "HTTP/" + v.majorVersion() + "." + v.minorVersion() + " is not supported; use HTTP/1.1";
        }
        HeadFields fields = head.fields();
        int host = fields.indexOf("host", 0);
        if (host < 0) {
            return v.minorVersion() >= 1 ? "HTTP/1.1 requests need a Host header" : null;
        }
        return fields.indexOf("host", host + 1) >= 0 ? "more than one Host header" : null;
    }
}
