package dev.ferry.proxy.http;

/**
 * What an {@link UpstreamStream} reports to the exchange currently using it.
 *
 * <p>Threading: every call comes on the upstream channel's event loop, which is the client's loop.
 */
interface UpstreamListener {
    /** A decoded response part ({@code HttpResponse}, {@code HttpContent}) or, after an upgrade, raw bytes. */
    void upstreamRead(UpstreamStream stream, Object msg);

    /** The end of one socket read: flush what was passed on and decide whether to read more. */
    void upstreamReadComplete(UpstreamStream stream);

    /** The upstream channel's writability changed. */
    void upstreamWritabilityChanged(UpstreamStream stream);

    /** The upstream channel closed (by the server, a reset, or a failure). */
    void upstreamClosed(UpstreamStream stream);

    /**
     * The server did not process the request at all (HTTP/2: RST_STREAM with REFUSED_STREAM, or a stream above the
     * last stream id of a GOAWAY), so it may be sent again anywhere, whatever its method.
     */
    void upstreamRefused(UpstreamStream stream);
}
