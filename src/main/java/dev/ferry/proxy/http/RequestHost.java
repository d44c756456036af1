package dev.ferry.proxy.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The host a request is for and the {@code Host} field it goes to the server with (RFC 9112 3.2 and 3.2.2): for an
 * absolute-form target ({@code GET http://a.example/x}) the target's authority, which replaces whatever
 * {@code Host} the client sent, so the server sees the host Ferry routed on (as nginx does); for an HTTP/1.0 request
 * without {@code Host}, the frontend's address the client connected to.
 *
 * <p>Threading: stateless.
 */
final class RequestHost {
    private RequestHost() {
    }

    /**
     * Where the authority of an absolute-form {@code http} or {@code https} target starts (after {@code ://}), or -1
     * when the target has another form.
     */
    static int authorityStart(String uri) {
        if (uri.regionMatches(true, 0, "http://", 0, 7)) {
            return 7;
        }
        if (uri.regionMatches(true, 0, "https://", 0, 8)) {
            return 8;
        }
        return -1;
    }

    /** Where the authority starting at {@code start} ends: at the path, the query or the fragment. */
    static int authorityEnd(String uri, int start) {
        for (int i = start; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return i;
            }
        }
        return uri.length();
    }

    /** The authority of an absolute-form target, or null when the target has another form. */
    static String absoluteAuthority(String uri) {
        int start = authorityStart(uri);
        return start < 0 ? null : uri.substring(start, authorityEnd(uri, start));
    }

    /**
     * Whether {@code authority} is {@code uri-host [ ":" port ]} (RFC 9110 7.2, RFC 3986 3.2.2): a bracketed IPv6
     * address, or a name of letters, digits, {@code -._~}, sub-delims and %-escapes; a port of 1 to 5 digits up to
     * 65535. Spaces, controls, {@code @} (user info), {@code /}, {@code \} and the like are not valid, nor is an empty
     * host; so Ferry routes on, and forwards, only hosts every server reads the same way.
     */
    static boolean isValid(String authority) {
        int n = authority.length();
        int hostEnd;
        if (n > 0 && authority.charAt(0) == '[') {
            hostEnd = authority.indexOf(']');
            if (hostEnd < 2) {
                return false;
            }
            for (int i = 1; i < hostEnd; i++) {
                char c = authority.charAt(i);
                if (!(isHexDigit(c) || c == ':' || c == '.')) {
                    return false;
                }
            }
            hostEnd++;
        } else {
            hostEnd = 0;
            while (hostEnd < n && authority.charAt(hostEnd) != ':') {
                char c = authority.charAt(hostEnd);
                if (c == '%') {
                    if (hostEnd + 2 >= n || !isHexDigit(authority.charAt(hostEnd + 1))
                            || !isHexDigit(authority.charAt(hostEnd + 2))) {
                        return false;
                    }
                    hostEnd += 2;
                } else if (!isRegNameChar(c)) {
                    return false;
                }
                hostEnd++;
            }
            if (hostEnd == 0) {
                return false;
            }
        }
        if (hostEnd == n) {
            return true;
        }
        if (authority.charAt(hostEnd) != ':' || n - hostEnd - 1 < 1 || n - hostEnd - 1 > 5) {
            return false;
        }
        int port = 0;
        for (int i = hostEnd + 1; i < n; i++) {
            char c = authority.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }

    /** unreserved and sub-delims of RFC 3986. */
    private static boolean isRegNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~!$&'()*+,;=".indexOf(c) >= 0;
    }

    private static boolean isHexDigit(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /**
     * Makes the request's {@code Host} the one it is forwarded with: for an absolute-form target, the target's
     * authority; for a request without one (HTTP/1.0 allows that, HTTP/1.1, which Ferry speaks to servers, does
     * not), the address the client connected to, {@code local}, as RFC 9112 3.3 reconstructs the target of such a
     * request when no name is configured. Call after {@link RequestChecks} accepted the head, before routing.
     *
     * @param local the frontend address the client reached (or the one a PROXY header stated); null when unknown
     */
    static void settle(RequestHead head, InetSocketAddress local) {
        String authority = absoluteAuthority(head.uri());
        HeadFields fields = head.fields();
        if (authority != null) {
            if (!fields.contains("host", authority)) {
                fields.set("host", authority);
            }
        } else if (local != null && !fields.contains("host")) {
            fields.add("host", of(local));
        }
    }

    /** {@code 192.0.2.1:80} or {@code [2001:db8::1]:80} (without an IPv6 zone, which a Host cannot carry). */
    static String of(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            return address.getHostString() + ":" + address.getPort();
        }
        String host = ip.getHostAddress();
        if (ip instanceof Inet6Address) {
            int zone = host.indexOf('%');
            host = "[" + (zone < 0 ? host : host.substring(0, zone)) + "]";
        }
        return host + ":" + address.getPort();
    }
}
