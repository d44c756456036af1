package dev.ferry.proxy.http;


/**
 * The parts of a request that routes match on, located once per request without copying: the host (from an
 * absolute-form target, else the Host header, without the port) and where the path and the query sit in the URI.
 *
 * <p>Threading: one instance per request, on the client's event loop.
 */
final class RequestTarget {
    private final RequestHeaders request;
    private final String uri;
    private final int pathStart;
    private final int pathEnd;
    private String host;
    private final String hostWithPort;

    RequestTarget(RequestHeaders request) {
        this.request = request;
        this.uri = request.uri();
        String authority;
        int start = 0;
        int scheme = RequestHost.authorityStart(uri);
        if (scheme > 0) {
            // absolute-form (RFC 9112 3.2.2): the authority in the target wins over the Host header.
            start = RequestHost.authorityEnd(uri, scheme);
            authority = uri.substring(scheme, start);
        } else {
            authority = request.fields().get("host");
        }
        int query = uri.indexOf('?', start);
        int end = query < 0 ? uri.length() : query;
        int fragment = uri.indexOf('#', start);
        if (fragment >= 0 && fragment < end) {
            end = fragment;
        }
        this.pathStart = start;
        this.pathEnd = end;
        this.hostWithPort = authority == null ? "" : authority;
    }

    private static String stripPort(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return close < 0 ? authority : authority.substring(0, close + 1);
        }
        int colon = authority.lastIndexOf(':');
        return colon < 0 ? authority : authority.substring(0, colon);
    }

    RequestHeaders request() {
        return request;
    }

    String uri() {
        return uri;
    }

    /** The host without port, as sent (compare case-insensitively); empty when the request names none. */
    String host() {
        if (host == null) {
            // Only host routes and the Host-keyed schedulers need it: computed (and copied) on first use.
            host = stripPort(hostWithPort);
        }
        return host;
    }

    /** The host with its port when the request gave one. */
    String hostWithPort() {
        return hostWithPort;
    }

    int pathStart() {
        return pathStart;
    }

    int pathEnd() {
        return pathEnd;
    }

    int pathLength() {
        return pathEnd - pathStart;
    }

    /** Index of the first query character (after '?'), or -1 without a query. */
    int queryStart() {
        return pathEnd < uri.length() && uri.charAt(pathEnd) == '?' ? pathEnd + 1 : -1;
    }
}
