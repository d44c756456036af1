package dev.ferry.proxy.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An h2c origin server for tests (HTTP/2 by prior knowledge, Netty's frame codec on its own event loop): records the
 * requests it got (head and body) and answers each as {@link Behaviour} says once the request ended. By default it
 * answers {@code 200} with {@code <name> <method> <path>} as the body; a behaviour can echo the body, add trailers,
 * hold the answer back, refuse the stream or send GOAWAY.
 */
final class H2Origin implements AutoCloseable {
    /** A request as the origin saw it. */
    record Request(Http2Headers headers, byte[] body, int connection) {
        String header(String name) {
            CharSequence v = headers.get(name);
            return v == null ? null : v.toString();
        }
    }

    /** What the origin does with a complete request; {@code reply} sends the response. */
    @FunctionalInterface
    interface Behaviour {
        void answer(Request request, Reply reply);
    }

    /** The answer to one stream. */
    final class Reply {
        private final ChannelHandlerContext ctx;
        private final Http2FrameCodec codec;
        private final Http2FrameStream stream;

        private Reply(ChannelHandlerContext ctx, Http2FrameCodec codec, Http2FrameStream stream) {
            this.ctx = ctx;
            this.codec = codec;
            this.stream = stream;
        }

        void send(int status, byte[] body, Map<String, String> headers, Map<String, String> trailers) {
            ctx.executor().execute(() -> {
                Http2Headers h = new DefaultHttp2Headers().status(String.valueOf(status));
                headers.forEach(h::add);
                boolean empty = body.length == 0 && trailers.isEmpty();
                ctx.write(new DefaultHttp2HeadersFrame(h, empty).stream(stream));
                if (body.length > 0) {
                    ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), trailers.isEmpty())
                            .stream(stream));
                }
                if (!trailers.isEmpty()) {
                    Http2Headers t = new DefaultHttp2Headers();
                    trailers.forEach(t::add);
                    ctx.write(new DefaultHttp2HeadersFrame(t, true).stream(stream));
                }
                ctx.flush();
                open.decrementAndGet();
            });
        }

        void text(String body) {
            send(200, body.getBytes(StandardCharsets.UTF_8), Map.of("content-type", "text/plain"), Map.of());
        }

        /** RST_STREAM REFUSED_STREAM: nothing of it was processed. */
        void refuse() {
            ctx.executor().execute(() -> {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM).stream(stream));
                open.decrementAndGet();
            });
        }

        /** GOAWAY naming {@code lastStreamId} as the last stream processed; streams above it are not answered. */
        void goAway(int lastStreamId) {
            ctx.executor().execute(() -> {
                ChannelHandlerContext codecCtx = ctx.pipeline().context(codec);
                codec.goAway(codecCtx, lastStreamId, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                        codecCtx.newPromise());
                codecCtx.flush();
            });
        }

        /** Closes the TCP connection at once. */
        void kill() {
            ctx.executor().execute(() -> ctx.channel().close());
        }

        int streamId() {
            return stream.id();
        }
    }

    private final String name;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel listener;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    /** Streams open now (request seen, response not complete). */
    final AtomicInteger open = new AtomicInteger();

    private H2Origin(String name, int maxConcurrentStreams, Behaviour behaviour) throws InterruptedException {
        this.name = name;
        this.listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        int connection = connections.incrementAndGet();
                        Http2Settings settings = new Http2Settings().maxConcurrentStreams(maxConcurrentStreams);
                        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer().initialSettings(settings).build();
                        ch.pipeline().addLast(codec, new Streams(connection, codec, behaviour));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    static H2Origin start(String name, Behaviour behaviour) throws InterruptedException {
        return new H2Origin(name, 100, behaviour);
    }

    static H2Origin start(String name, int maxConcurrentStreams, Behaviour behaviour) throws InterruptedException {
        return new H2Origin(name, maxConcurrentStreams, behaviour);
    }

    /** Answers {@code <name> <method> <path>}. */
    static H2Origin naming(String name) throws InterruptedException {
        return start(name, (r, reply) -> reply.text(name + " " + r.headers().method() + " " + r.headers().path()));
    }

    String name() {
        return name;
    }

    String address() {
        InetSocketAddress a = (InetSocketAddress) listener.localAddress();
        return "127.0.0.1:" + a.getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One connection's streams: gathers each request and hands it to the behaviour once it ended. */
    private final class Streams extends ChannelInboundHandlerAdapter {
        private final int connection;
        private final Http2FrameCodec codec;
        private final Behaviour behaviour;
        private final Map<Integer, Http2Headers> heads = new HashMap<>();
        private final Map<Integer, ByteBuf> bodies = new HashMap<>();

        Streams(int connection, Http2FrameCodec codec, Behaviour behaviour) {
            this.connection = connection;
            this.codec = codec;
            this.behaviour = behaviour;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame h) {
                int id = h.stream().id();
                if (!heads.containsKey(id)) {
                    heads.put(id, h.headers());
                    bodies.put(id, Unpooled.buffer());
                    open.incrementAndGet();
                }
                if (h.isEndStream()) {
                    ended(ctx, h.stream());
                }
            } else if (msg instanceof Http2DataFrame d) {
                int id = d.stream().id();
                ByteBuf body = bodies.get(id);
                if (body != null) {
                    body.writeBytes(d.content());
                }
                // The frame codec leaves flow control to its user: the bytes were taken, the window opens again.
                if (d.initialFlowControlledBytes() > 0) {
                    ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(d.initialFlowControlledBytes())
                            .stream(d.stream()));
                }
                d.release();
                if (d.isEndStream()) {
                    ended(ctx, d.stream());
                }
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        private void ended(ChannelHandlerContext ctx, Http2FrameStream stream) {
            int id = stream.id();
            ByteBuf body = bodies.remove(id);
            byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes).release();
            Request r = new Request(heads.remove(id), bytes, connection);
            requests.add(r);
            behaviour.answer(r, new Reply(ctx, codec, stream));
        }
    }
}
