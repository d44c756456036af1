package dev.ferry.config;

import java.util.Locale;

/**
 * A header an http frontend adds to what it forwards (key {@code http.forwarding_headers}); the hop-by-hop fields
 * are removed whatever this list says.
 */
public enum ForwardingHeader {
    /** The client's address, appended to the list (HAProxy's {@code option forwardfor}). */
    X_FORWARDED_FOR,
    /** {@code http} or {@code https}, as the client reached Ferry; added when absent. */
    X_FORWARDED_PROTO,
    /** The request's {@code Host}; added when absent. */
    X_FORWARDED_HOST,
    /** RFC 7239: {@code for=...;host=...;proto=...} appended. */
    FORWARDED,
    /** {@code 1.1 ferry} appended, on requests and on responses. */
    VIA,
    /** The request id (the client's, or a new one), also written to the access log whether sent or not. */
    X_REQUEST_ID;

    /** The name as written in the configuration, also the header's name in lower case: {@code x-forwarded-for}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
