package dev.ferry.proxy.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An h2c origin for bulk transfers (one request at a time): as a source it answers with {@code total} bytes, each
 * 64 KiB DATA frame written once the previous one left (so it holds no more than one, and {@link #written} says how
 * far the receiver let it get); as a sink it counts the request body, giving the bytes back to the sender's windows
 * only while not {@link #pause paused}, and answers {@code got N}.
 */
final class H2BulkOrigin implements AutoCloseable {
    private static final int CHUNK = 64 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel listener;
    private final long total;
    final AtomicLong written = new AtomicLong();
    final AtomicLong got = new AtomicLong();
    private volatile boolean paused;
    private volatile Runnable resumeAck;

    /** @param total the bytes a source sends; 0: a sink */
    H2BulkOrigin(long total) throws InterruptedException {
        this.total = total;
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new Handler());
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    String address() {
        return "127.0.0.1:" + ((InetSocketAddress) listener.localAddress()).getPort();
    }

    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
        Runnable r = resumeAck;
        if (r != null) {
            r.run();
        }
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private int unacked;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame h && h.isEndStream() && total > 0) {
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .addLong("content-length", total)).stream(h.stream()));
                writeChunk(ctx, h.stream());
            } else if (msg instanceof Http2DataFrame d) {
                got.addAndGet(d.content().readableBytes());
                unacked += d.initialFlowControlledBytes();
                Http2FrameStream stream = d.stream();
                boolean end = d.isEndStream();
                d.release();
                resumeAck = () -> ctx.executor().execute(() -> ack(ctx, stream));
                if (!paused) {
                    ack(ctx, stream);
                }
                if (end) {
                    byte[] body = ("got " + got.get()).getBytes(StandardCharsets.US_ASCII);
                    ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")).stream(stream));
                    ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true).stream(stream));
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        private void ack(ChannelHandlerContext ctx, Http2FrameStream stream) {
            if (unacked > 0) {
                ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(unacked).stream(stream));
                unacked = 0;
            }
        }

        private void writeChunk(ChannelHandlerContext ctx, Http2FrameStream stream) {
            long left = total - written.get();
            int n = (int) Math.min(CHUNK, left);
            boolean last = left <= CHUNK;
            ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[n]), last).stream(stream))
                    .addListener(f -> {
                        if (f.isSuccess()) {
                            written.addAndGet(n);
                            if (!last) {
                                writeChunk(ctx, stream);
                            }
                        }
                    });
        }
    }
}
