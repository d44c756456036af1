package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * The server side's decoder: response heads ({@link ResponseHead}) and their bodies. Whether a response can have a
 * body depends on the request it answers, so the exchange tells it before sending each request
 * ({@link #expectResponseTo}). Heads may be larger than a client's ({@link #MAX_HEADER_SIZE}: cookies, policies).
 *
 * <p>A server speaks only when asked: once the final response to a request has ended, nothing is decoded until the
 * next request is announced. Bytes that arrive meanwhile (a body on a 204, 304 or HEAD answer, bytes beyond the
 * Content-Length, anything on an idle connection) are passed on raw, so the connection can be closed rather than
 * have them read as the start of someone else's response; and {@link #endedAtBoundary()} says whether the last
 * response ended exactly where the bytes read so far did.
 *
 * <p>Threading: one server channel, its event loop.
 */
final class ResponseDecoder extends MessageDecoder {
    static final int MAX_STATUS_LINE = 8 * 1024;
    static final int MAX_HEADER_SIZE = 64 * 1024;

    private boolean headRequest;
    private long contentLength;
    private boolean switched;
    /** A request was sent whose final (non-1xx) response has not ended yet. */
    private boolean awaiting;
    /** The head just decoded is a final response (not a 1xx but for a 101, which ends the exchange too). */
    private boolean finalResponse;
    private boolean endedAtBoundary = true;

    /** The next response answers a request with this method: a HEAD request's response has no body. */
    void expectResponseTo(boolean headRequest) {
        this.headRequest = headRequest;
        awaiting = true;
    }

    /** Whether nothing followed the end of the last final response in the bytes read with it. */
    boolean endedAtBoundary() {
        return endedAtBoundary;
    }

    @Override
    boolean expectsHead() {
        return awaiting;
    }

    @Override
    void messageEnded(int bytesBehind) {
        if (finalResponse) {
            awaiting = false;
            endedAtBoundary = bytesBehind == 0;
        }
    }

    @Override
    ResponseHead.Framing decodeHead(ChannelHandlerContext ctx, ByteBuf in) throws HeadParser.BadMessage {
        ResponseHead head = HeadParser.response(in, MAX_STATUS_LINE, MAX_HEADER_SIZE, headRequest);
        if (head == null) {
            return null;
        }
        contentLength = head.contentLength();
        switched = head.code() == 101;
        finalResponse = head.code() >= 200 || switched;
        ctx.fireChannelRead(head);
        return head.framing();
    }

    @Override
    long contentLength() {
        return contentLength;
    }

    @Override
    boolean switchedProtocols() {
        return switched;
    }
}
