package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * The server side's decoder: response heads ({@link ResponseHead}) and their bodies. Whether a response can have a
 * body depends on the request it answers, so the exchange tells it before sending each request
 * ({@link #expectResponseTo}). Heads may be larger than a client's ({@link #MAX_HEADER_SIZE}: cookies, policies).
 *
 * <p>Threading: one server channel, its event loop.
 */
final class ResponseDecoder extends MessageDecoder {
    static final int MAX_STATUS_LINE = 8 * 1024;
    static final int MAX_HEADER_SIZE = 64 * 1024;

    private boolean headRequest;
    private long contentLength;
    private boolean switched;

    /** The next response answers a request with this method: a HEAD request's response has no body. */
    void expectResponseTo(boolean headRequest) {
        this.headRequest = headRequest;
    }

    @Override
    ResponseHead.Framing decodeHead(ChannelHandlerContext ctx, ByteBuf in) throws HeadParser.BadMessage {
        ResponseHead head = HeadParser.response(in, MAX_STATUS_LINE, MAX_HEADER_SIZE, headRequest);
        if (head == null) {
            return null;
        }
        contentLength = head.contentLength();
        switched = head.code() == 101;
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
