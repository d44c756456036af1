package dev.ferry.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts every byte a client sends and receives (heads and bodies alike, after TLS) into its frontend's stats. Sits
 * in front of a codec, where messages are still plain buffers. Sharable: one per frontend.
 */
@ChannelHandler.Sharable
public final class ClientByteCounter extends ChannelDuplexHandler {
    private final FrontendStats stats;

    public ClientByteCounter(FrontendStats stats) {
        this.stats = stats;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        stats.addBytesFromClient(size(msg));
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        stats.addBytesToClient(size(msg));
        ctx.write(msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        return msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
    }
}
