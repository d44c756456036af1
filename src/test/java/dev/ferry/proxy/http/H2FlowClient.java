package dev.ferry.proxy.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An h2c test client with flow control in the test's hands (Netty's frame codec, which gives no window back by
 * itself): one stream at a time; while {@link #pause paused} it takes the response's DATA without opening the
 * windows again, so the sender must stop; an upload writes DATA only as the peer's windows allow, counting what went.
 */
final class H2FlowClient implements AutoCloseable {
    private static final int CHUNK = 16 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    private final Http2FrameCodec codec;
    final AtomicLong received = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final CompletableFuture<Http2Headers> head = new CompletableFuture<>();
    final CompletableFuture<Long> done = new CompletableFuture<>();
    /** The error code of an RST_STREAM the server sent. */
    final CompletableFuture<Long> reset = new CompletableFuture<>();
    /** The first bytes of the response body, for short answers. */
    private final StringBuffer start = new StringBuffer();
    private volatile boolean paused;
    private int unacked;
    private Http2FrameStream stream;
    private ChannelHandlerContext ctx;
    private final Responses responses = new Responses();

    H2FlowClient(InetSocketAddress server) throws InterruptedException {
        codec = Http2FrameCodecBuilder.forClient()
                .initialSettings(new Http2Settings().initialWindowSize(64 * 1024)).build();
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(codec, responses);
                    }
                }).connect(server).sync().channel();
    }

    /** Sends a request head (on the client's loop); a body, if any, follows with {@link #upload}. */
    void request(String method, String path, boolean endStream) {
        request(method, path, endStream, -1);
    }

    /** As {@link #request(String, String, boolean)}, saying {@code content-length} when not negative. */
    void request(String method, String path, boolean endStream, long contentLength) {
        channel.eventLoop().execute(() -> {
            stream = responses.newStream();
            Http2Headers h = new DefaultHttp2Headers().method(method).path(path).scheme("http")
                    .authority("test");
            if (contentLength >= 0) {
                h.addLong("content-length", contentLength);
            }
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(h, endStream).stream(stream));
        });
    }

    /** Writes {@code total} body bytes, each chunk once the previous one left (the windows allowing), then ends. */
    void upload(long total) {
        channel.eventLoop().execute(() -> writeChunk(total));
    }

    private void writeChunk(long total) {
        long left = total - sent.get();
        int n = (int) Math.min(CHUNK, left);
        boolean last = left <= CHUNK;
        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[n]), last).stream(stream))
                .addListener(f -> {
                    if (f.isSuccess()) {
                        sent.addAndGet(n);
                        if (!last) {
                            writeChunk(total);
                        }
                    }
                });
    }

    /** The start of the response body (its first few KiB) as text. */
    String body() {
        return start.toString();
    }

    /** Stops giving the response's bytes back to the sender's windows. */
    void pause() {
        paused = true;
    }

    /** Gives back what was held and keeps giving back as bytes arrive. */
    void resume() {
        paused = false;
        channel.eventLoop().execute(this::ack);
    }

    private void ack() {
        if (unacked > 0 && ctx != null) {
            ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(unacked).stream(stream));
            unacked = 0;
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Responses extends Http2ChannelDuplexHandler {
        @Override
        protected void handlerAdded0(ChannelHandlerContext c) {
            ctx = c;
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (msg instanceof Http2HeadersFrame h) {
                if (!head.isDone()) {
                    head.complete(h.headers());
                }
                if (h.isEndStream()) {
                    done.complete(received.get());
                }
            } else if (msg instanceof Http2DataFrame d) {
                received.addAndGet(d.content().readableBytes());
                if (start.length() < 4096) {
                    start.append(d.content().toString(java.nio.charset.StandardCharsets.ISO_8859_1));
                }
                unacked += d.initialFlowControlledBytes();
                boolean end = d.isEndStream();
                d.release();
                if (!paused) {
                    ack();
                }
                if (end) {
                    done.complete(received.get());
                }
            } else if (msg instanceof Http2ResetFrame r) {
                reset.complete(r.errorCode());
                done.completeExceptionally(new IllegalStateException("stream reset (" + r.errorCode() + ") after "
                        + received + " bytes"));
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) {
            done.completeExceptionally(new IllegalStateException("connection closed after " + received + " bytes"));
        }
    }
}
