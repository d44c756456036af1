package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpMethod;

/**
 * The RFC 9112 rules on a request head that its syntax does not show: HTTP/1.x only; exactly one {@code Host} on
 * HTTP/1.1 (and at most one on HTTP/1.0), empty or a valid {@code host[:port]} ({@link RequestHost#isValid}); an
 * absolute-form target with a valid, non-empty authority (RFC 9110 4.2.1); a target in origin-form ("/..."),
 * absolute-form, asterisk-form with OPTIONS or authority-form with CONNECT. Anything else is a 400 (RFC 9112 3.2).
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
        String target = head.uri();
        String authority = RequestHost.absoluteAuthority(target);
        if (authority != null && !RequestHost.isValid(authority)) {
            return "invalid host in the request target";
        }
        // RFC 9112 3.2: origin-form starts with "/"; asterisk-form is for OPTIONS only (as Http2RequestChecks);
        // authority-form is CONNECT's (answered 405 by the exchange).
        if (target.equals("*") ? head.method() != HttpMethod.OPTIONS
                : authority == null && !target.startsWith("/") && head.method() != HttpMethod.CONNECT) {
            return "invalid request target";
        }
        HeadFields fields = head.fields();
        int host = fields.indexOf("host", 0);
        if (host < 0) {
            return v.minorVersion() >= 1 ? "HTTP/1.1 requests need a Host header" : null;
        }
        if (fields.indexOf("host", host + 1) >= 0) {
            return "more than one Host header";
        }
        String value = fields.value(host);
        return value.isEmpty() || RequestHost.isValid(value) ? null : "invalid Host header";
    }
}
