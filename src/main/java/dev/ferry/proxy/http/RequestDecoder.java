package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * The client side's decoder: request heads ({@link RequestHead}) and their bodies, within the frontend's limits
 * ({@code 414} beyond the request line limit, {@code 431} beyond the header size or field count limit). Every read is reported first
 * ({@link Arrivals}: byte counts and the connection's clocks), so no other handler needs to sit in front of it.
 * What follows a request asking to switch protocols is held ({@link #holdsWhatFollows}) until the decoder leaves
 * (the switch) or {@link #resume()} is called (no switch).
 *
 * <p>Threading: one client channel, its event loop.
 */
final class RequestDecoder extends MessageDecoder {
    /** Told of every read from the client, before it is decoded. */
    interface Arrivals {
        void bytesArrived(int bytes);
    }

    private final int maxRequestLine;
    private final int maxHeaderSize;
    private final int maxHeaderCount;
    private final Arrivals arrivals;
    private long contentLength;
    private boolean upgradeAsked;

    RequestDecoder(int maxRequestLine, int maxHeaderSize, int maxHeaderCount, Arrivals arrivals) {
        this.maxRequestLine = maxRequestLine;
        this.maxHeaderSize = maxHeaderSize;
        this.maxHeaderCount = maxHeaderCount;
        this.arrivals = arrivals;
    }

    @Override
    void arrived(int bytes) {
        arrivals.bytesArrived(bytes);
    }

    @Override
    ResponseHead.Framing decodeHead(ChannelHandlerContext ctx, ByteBuf in) throws HeadParser.BadMessage {
        RequestHead head = HeadParser.request(in, maxRequestLine, maxHeaderSize, maxHeaderCount);
        if (head == null) {
            return null;
        }
        contentLength = head.contentLength();
        upgradeAsked = head.asksUpgrade();
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

    /**
     * After a request asking to switch protocols, what the client sent behind it may be the new protocol's bytes
     * (to be relayed as they are, if the server switches) or the next request (if it does not): held until then.
     */
    @Override
    boolean holdsWhatFollows() {
        return upgradeAsked;
    }
}
