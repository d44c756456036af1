package dev.ferry.proxy.http;

/**
 * A response head as the exchange and the forwarding headers see it: protocol-neutral. The HTTP/1 implementation
 * is {@link ResponseHead}, which keeps the bytes as received (its status line and untouched fields go to an HTTP/1
 * client as one copy).
 *
 * <p>Threading: belongs to one response on one event loop.
 */
interface ResponseHeaders {
    /** The status code (1xx included). */
    int code();

    /** The protocol version as {@code Via} names it: {@code 1.0}, {@code 1.1} or {@code 2}. */
    String protocolVersion();

    HeaderFields fields();

    /** Removes the fields that speak for the connection the head came on (see {@link RequestHeaders}). */
    void removeConnectionFields(boolean keepUpgrade);
}
