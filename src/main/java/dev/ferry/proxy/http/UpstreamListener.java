package dev.ferry.proxy.http;

/**
 * What an {@link UpstreamConnection} reports to the exchange currently using it.
 *
 * <p>Threading: every call comes on the upstream channel's event loop, which is the client's loop.
 */
interface UpstreamListener {
    /** A decoded response part ({@code HttpResponse}, {@code HttpContent}) or, after an upgrade, raw bytes. */
    void upstreamRead(UpstreamConnection connection, Object msg);

    /** The end of one socket read: flush what was passed on and decide whether to read more. */
    void upstreamReadComplete(UpstreamConnection connection);

    /** The upstream channel's writability changed. */
    void upstreamWritabilityChanged(UpstreamConnection connection);

    /** The upstream channel closed (by the server, a reset, or a failure). */
    void upstreamClosed(UpstreamConnection connection);
}
