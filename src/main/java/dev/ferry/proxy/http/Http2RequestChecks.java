package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.Http2Headers;

import java.util.List;

/**
 * The RFC 9113 8.3 rules on a request's header block that Netty's decoder leaves to its user. Netty already makes
 * these a stream error: upper-case or empty names, unknown pseudo-header fields, a pseudo-header after a regular
 * field, request and response pseudo-headers mixed, connection-specific fields ({@code connection}, {@code keep-alive},
 * {@code proxy-connection}, {@code transfer-encoding}, {@code upgrade}), {@code te} other than {@code trailers}, and
 * (with {@code validateRequiredPseudoHeaders}) a missing {@code :method}, {@code :scheme} or {@code :path}. This
 * class adds: each pseudo-header at most once, no {@code :status} and no {@code :protocol} (Ferry does not offer
 * extended CONNECT), {@code :path} in origin form (or {@code *} for OPTIONS), {@code :authority} a valid
 * {@code host[:port]} without userinfo, and at most one {@code host}, the same as {@code :authority} when both are
 * there. A request breaking any of them is malformed: a stream error of type PROTOCOL_ERROR (RFC 9113 8.1.1).
 *
 * <p>Threading: stateless.
 */
final class Http2RequestChecks {
    private static final List<Http2Headers.PseudoHeaderName> ONCE = List.of(Http2Headers.PseudoHeaderName.METHOD,
            Http2Headers.PseudoHeaderName.SCHEME, Http2Headers.PseudoHeaderName.AUTHORITY,
            Http2Headers.PseudoHeaderName.PATH);

    private Http2RequestChecks() {
    }

    /** What makes the request malformed, or null when it may go on. */
    static String problem(Http2Headers headers) {
        for (Http2Headers.PseudoHeaderName p : ONCE) {
            if (headers.getAll(p.value()).size() > 1) {
                return "more than one " + p.value();
            }
        }
        if (headers.status() != null) {
            return ":status in a request";
        }
        if (headers.contains(Http2Headers.PseudoHeaderName.PROTOCOL.value())) {
            return ":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL";
        }
        CharSequence method = headers.method();
        boolean connect = method != null && "CONNECT".contentEquals(method);
        CharSequence path = headers.path();
        if (!connect && path != null) {
            boolean asterisk = "*".contentEquals(path) && "OPTIONS".contentEquals(method);
            if (!asterisk && (path.isEmpty() || path.charAt(0) != '/')) {
                return ":path must be an absolute path (origin form)";
            }
        }
        CharSequence authority = headers.authority();
        if (authority != null && !authority.isEmpty() && !RequestHost.isValid(authority.toString())) {
            return "invalid :authority";
        }
        List<CharSequence> hosts = headers.getAll("host");
        if (hosts.size() > 1) {
            return "more than one host field";
        }
        if (hosts.size() == 1) {
            String host = hosts.get(0).toString();
            if (!host.isEmpty() && !RequestHost.isValid(host)) {
                return "invalid host field";
            }
            if (authority != null && !host.equalsIgnoreCase(authority.toString())) {
                return "host differs from :authority";
            }
        }
        return null;
    }
}
