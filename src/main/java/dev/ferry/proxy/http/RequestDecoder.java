package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * The client side's decoder: request heads ({@link RequestHead}) and their bodies, within the frontend's limits
 * ({@code 414} beyond the request line limit, {@code 431} beyond the header limit).
 *
 * <p>Threading: one client channel, its event loop.
 */
final class RequestDecoder extends MessageDecoder {
    private final int maxRequestLine;
    private final int maxHeaderSize;
    private long contentLength;

    RequestDecoder(int maxRequestLine, int maxHeaderSize) {
        this.maxRequestLine = maxRequestLine;
        this.maxHeaderSize = maxHeaderSize;
    }

    @Override
    ResponseHead.Framing decodeHead(ChannelHandlerContext ctx, ByteBuf in) throws HeadParser.BadMessage {
        RequestHead head = HeadParser.request(in, maxRequestLine, maxHeaderSize);
        if (head == null) {
            return null;
        }
        contentLength = head.contentLength();
        ctx.fireChannelRead(head);
        if (head.isChunked()) {
            return ResponseHead.Framing.CHUNKED;
        }
        return contentLength > 0 ? ResponseHead.Framing.LENGTH : ResponseHead.Framing.NONE;
    }

    @Override
    long contentLength() {
        return contentLength;
    }
}
