package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpMethod;

/**
 * A request head as the exchange, the router, the hash keys and the forwarding headers see it: protocol-neutral
 * (HAProxy's HTX start line and headers). The HTTP/1 implementation is {@link RequestHead}, which keeps the bytes as
 * received, so an HTTP/1 request going to an HTTP/1 server is copied once, not rebuilt.
 *
 * <p>Threading: belongs to one request on one event loop.
 */
interface RequestHeaders {
    HttpMethod method();

    /** The request target: origin form ({@code /path?query}) or absolute form ({@code http://host/path}). */
    String uri();

    /**
     * The target as it goes to the server: {@link #uri()} unless a route rewrote its path ({@link #rewriteUri}).
     * Codecs that write the head for a server use this; routing, hash keys and the access log use {@link #uri()}.
     */
    default String forwardedUri() {
        return uri();
    }

    /** Sends {@code uri} to the server instead of the client's target (a route's {@code path:}). */
    default void rewriteUri(String uri) {
        throw new UnsupportedOperationException("this head cannot be rewritten");
    }

    /** The protocol version as {@code Via} names it: {@code 1.0}, {@code 1.1} or {@code 2}. */
    String protocolVersion();

    HeaderFields fields();

    /** Whether a body follows the head. */
    boolean declaresBody();

    /** Whether the request asks to switch protocols (WebSocket and other upgrades). */
    boolean asksUpgrade();

    /**
     * Removes the fields that speak for the connection the head came on, not for the message (RFC 9110 7.6.1:
     * {@code Connection} and what it names, {@code Keep-Alive}, {@code TE}, {@code Upgrade}...).
     *
     * @param keepUpgrade true to keep what a passed-through upgrade needs
     */
    void removeConnectionFields(boolean keepUpgrade);
}
