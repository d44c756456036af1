package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.logging.LogLevel;

/**
 * Counts the frames of every HTTP/2 client connection of a frontend that its {@link Http2Stats} reports: RST_STREAM
 * both ways and GOAWAY sent, by code. It sits where Netty's frame logger sits (around the frame reader and writer),
 * so it sees each frame as it is read or written, whoever in the codec caused it; and it still logs frames at TRACE
 * on {@code dev.ferry.proxy.http.h2frames} when that is switched on.
 *
 * <p>Threading: one per frontend, called on every client connection's event loop; the counters are atomics.
 */
final class Http2FrameCounter extends Http2FrameLogger {
    private final Http2Stats stats;

    Http2FrameCounter(Http2Stats stats) {
        super(LogLevel.TRACE, "dev.ferry.proxy.http.h2frames");
        this.stats = stats;
    }

    @Override
    public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
        if (direction == Direction.INBOUND) {
            stats.countRstReceived();
        } else {
            stats.countRstSent();
        }
        super.logRstStream(direction, ctx, streamId, errorCode);
    }

    @Override
    public void logGoAway(Direction direction, ChannelHandlerContext ctx, int lastStreamId, long errorCode,
                          ByteBuf debugData) {
        if (direction == Direction.OUTBOUND) {
            stats.goAwaySent(errorCode);
        }
        super.logGoAway(direction, ctx, lastStreamId, errorCode, debugData);
    }
}
