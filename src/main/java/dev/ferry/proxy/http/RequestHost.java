package dev.ferry.proxy.http;

/**
 * The host a request is for and the {@code Host} field it goes to the server with (RFC 9112 3.2 and 3.2.2): for an
 * absolute-form target ({@code GET http://a.example/x}) the target's authority, which replaces whatever
 * {@code Host} the client sent, so the server sees the host Ferry routed on (as nginx does).
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
     * Makes the request's {@code Host} the one it is forwarded with: for an absolute-form target, the target's
     * authority. Call after {@link RequestChecks} accepted the head.
     */
    static void settle(RequestHead head) {
        String authority = absoluteAuthority(head.uri());
        HeadFields fields = head.fields();
        if (authority != null && !fields.contains("host", authority)) {
            fields.set("host", authority);
        }
    }
}
