package dev.ferry.proxy.http;

import java.net.InetSocketAddress;

/**
 * What an {@link Exchange} needs of the client connection it runs on, whatever its protocol: who the client is,
 * the frontend and this event loop's pool, whether the frontend is draining, and the connection's clock and timer
 * (one timer serves every timeout of a connection). {@link HttpProxyConnection} is the HTTP/1 one, {@link Http2ProxyConnection} the HTTP/2 one.
 *
 * <p>Threading: the connection's event loop.
 */
interface DownstreamConnection {
    HttpFrontend frontend();

    /** This event loop's pool of server connections. */
    UpstreamPool pool();

    /** The client (after a PROXY header: the one it names). */
    InetSocketAddress source();

    /** The address the client connected to (after a PROXY header: the one it names). */
    InetSocketAddress destination();

    ForwardingHeaders.Client clientAddress();

    /** The frontend is stopping: the connection carries no further request. */
    boolean draining();

    /** The connection's clock, in nanoseconds of an arbitrary origin. */
    long now();

    /** When something last moved on the connection (its clock). */
    long lastActivity();

    /** Something moved (a server's response, a connect): the idle clock starts again. */
    void touch(long now);

    /** Makes sure the connection checks its timeouts (the exchange's among them) no later than {@code deadline}. */
    void ensureTimer(long deadline);
}
