package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The client's side of one exchange, as the codec of the client connection offers it (Envoy's
 * {@code ResponseEncoder} and stream callbacks): the exchange says what to send in a handful of verbs, the codec
 * turns them into its protocol's bytes and framing. {@link Http1DownstreamStream} is the HTTP/1 codec;
 * {@link Http2DownstreamStream} the HTTP/2 one, one per stream.
 *
 * <p>Reading the request is pulled, not pushed: the connection hands the exchange the next body part only while
 * {@link Exchange#takesBody()} and reads the socket only while {@link Exchange#readsClient()} (so reading pauses by
 * itself while the server is not writable); {@link #resumeReading()} asks it to look again.
 *
 * <p>Buffers passed in are owned by the stream from then on. Threading: the client connection's event loop.
 */
interface DownstreamStream {
    /** Whether the client asked to keep its connection after this exchange. */
    boolean clientKeepsConnection();

    /** A 1xx response (100 Continue, 103 Early Hints), passed on unless the protocol cannot carry it. */
    void sendInformational(ResponseHeaders head);

    /** The 101 of an upgrade the client asked for; the connection becomes a tunnel after its end. */
    void sendSwitchingProtocols(ResponseHeaders head);

    /**
     * The final response head; it may be held back to leave with the first body part.
     *
     * @param keepAlive whether the exchange lets the client connection carry another request afterwards
     * @return whether the client connection closes after this response
     */
    boolean sendHead(ResponseHeaders head, boolean keepAlive);

    /** A part of the response body. */
    void sendData(HttpContent part);

    /** The end of the response body: its last bytes and trailer fields (either may be empty). */
    void sendTrailers(LastHttpContent last);

    /**
     * Ferry's own answer ({@link ErrorResponses}; to a gRPC request {@link GrpcReplies}): one entry point for every
     * local reply.
     *
     * @param close       whether the connection closes after it (said in the reply) or carries the next request
     * @param lingerable  whether closing may linger for the client's bytes (not for a client too slow to send a head)
     * @param requestId   echoed back when not null
     * @param headRequest the reply answers a HEAD request (no body)
     * @param grpc        the reply answers a gRPC request ({@link GrpcRequest}): HTTP 200, trailers-only, with the
     *                    {@code grpc-status} that {@code status} maps to ({@link GrpcStatus})
     */
    default void sendLocalReply(HttpResponseStatus status, String detail, boolean close, boolean lingerable,
                                String requestId, boolean headRequest, boolean grpc) {
        sendLocalReply(status, detail, close, lingerable, requestId, headRequest, grpc, 0);
    }

    /** As above, with {@code Retry-After: retryAfterSeconds} when that is above 0 (a rate limit's answer). */
    void sendLocalReply(HttpResponseStatus status, String detail, boolean close, boolean lingerable, String requestId,
                        boolean headRequest, boolean grpc, long retryAfterSeconds);

    /** The response is complete: the connection closes ({@code close}) or takes the next request. */
    void end(boolean close);

    /** The response broke off after it started: what was passed on is sent, then the connection closes. */
    void endAbruptly();

    /** The response broke off: the connection closes at once. */
    void reset();

    /** Passes on what was written during this event-loop turn (held head included), soon. */
    void flush();

    /** Whether the client takes more of the response now. */
    boolean isWritable();

    /** Reads more of the request if the exchange takes it now. */
    void resumeReading();

    /** The 101 has gone: from here on bytes are relayed as they are between the client and {@code upstream}. */
    void switchToTunnel(UpstreamStream upstream, long idleNanos);

    /** The client went away: let go of anything held. */
    void release();
}
