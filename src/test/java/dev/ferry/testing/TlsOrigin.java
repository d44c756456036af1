package dev.ferry.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An origin server speaking TLS for tests (Netty, BoringSSL, on its own event loop): HTTP/1.1 with keep-alive
 * (answers {@code <name> <path>}), HTTP/2 when the client chooses h2 by ALPN (the same answer per stream), or an echo
 * of raw bytes ({@link Mode#ECHO}). Counts accepted connections, completed and failed handshakes, and resumed
 * sessions; with {@link ClientAuth#REQUIRE} a client without a certificate from {@code clientCa} is refused, and the
 * subjects of the client certificates it saw are kept.
 */
public final class TlsOrigin implements AutoCloseable {
    /** What the origin speaks after the handshake. */
    public enum Mode { HTTP, ECHO }

    private final String name;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel listener;
    public final AtomicInteger accepted = new AtomicInteger();
    public final AtomicInteger handshakes = new AtomicInteger();
    public final AtomicInteger failedHandshakes = new AtomicInteger();
    public final AtomicInteger resumed = new AtomicInteger();
    public final AtomicInteger requests = new AtomicInteger();
    public final Queue<String> protocols = new ConcurrentLinkedQueue<>();
    public final Queue<String> sniNames = new ConcurrentLinkedQueue<>();
    public final Queue<String> clientSubjects = new ConcurrentLinkedQueue<>();
    /** Connections that carried HTTP/2 streams: the streams seen per connection number. */
    public final Queue<Integer> h2StreamConnections = new ConcurrentLinkedQueue<>();

    private TlsOrigin(String name, SslContext ctx, Mode mode) throws InterruptedException {
        this.name = name;
        this.listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        int connection = accepted.incrementAndGet();
                        SslHandler ssl = ctx.newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl, new Handshakes(ssl));
                        if (mode == Mode.ECHO) {
                            ch.pipeline().addLast(new Echo());
                        } else {
                            ch.pipeline().addLast(new Negotiation(connection));
                        }
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /**
     * @param clientCa  with {@code clientAuth} REQUIRE or OPTIONAL: the CA client certificates must come from
     * @param alpn      protocols the origin selects by ALPN, in order ({@code h2}, {@code http/1.1}); empty for none
     */
    public static TlsOrigin start(String name, Path cert, Path key, Mode mode, ClientAuth clientAuth, Path clientCa,
                                  List<String> alpn) throws Exception {
        SslContextBuilder b = SslContextBuilder.forServer(cert.toFile(), key.toFile()).sslProvider(SslProvider.OPENSSL)
                .clientAuth(clientAuth);
        if (clientCa != null) {
            b.trustManager(clientCa.toFile());
        }
        if (!alpn.isEmpty()) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        return new TlsOrigin(name, b.build(), mode);
    }

    /** An HTTP/1.1 origin (h2 too when the client offers it), no client certificates asked. */
    public static TlsOrigin http(String name, Path cert, Path key) throws Exception {
        return start(name, cert, key, Mode.HTTP, ClientAuth.NONE, null, List.of("h2", "http/1.1"));
    }

    public String address() {
        return "127.0.0.1:" + ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handshakes extends ChannelInboundHandlerAdapter {
        private final SslHandler ssl;

        Handshakes(SslHandler ssl) {
            this.ssl = ssl;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    handshakes.incrementAndGet();
                    protocols.add(String.valueOf(ssl.applicationProtocol()));
                    if (reused(ssl.engine())) {
                        resumed.incrementAndGet();
                    }
                    try {
                        X509Certificate peer = (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
                        clientSubjects.add(peer.getSubjectX500Principal().getName());
                    } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                        // no client certificate
                    }
                    if (ssl.engine().getSession() instanceof javax.net.ssl.ExtendedSSLSession x) {
                        x.getRequestedServerNames().forEach(n -> sniNames.add(
                                ((javax.net.ssl.SNIHostName) n).getAsciiName()));
                    }
                } else {
                    failedHandshakes.incrementAndGet();
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Whether BoringSSL resumed the session (Netty keeps the method package-private). */
    private static boolean reused(javax.net.ssl.SSLEngine engine) {
        try {
            java.lang.reflect.Method m = io.netty.handler.ssl.ReferenceCountedOpenSslEngine.class
                    .getDeclaredMethod("isSessionReused");
            m.setAccessible(true);
            return (boolean) m.invoke(engine);
        } catch (ReflectiveOperationException | ClassCastException | IllegalArgumentException e) {
            return false;
        }
    }

    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    private final class Negotiation extends ApplicationProtocolNegotiationHandler {
        private final int connection;

        Negotiation(int connection) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.connection = connection;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                ctx.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new H2Streams(connection));
            } else {
                ctx.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Http1());
            }
        }
    }

    private final class Http1 extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            requests.incrementAndGet();
            byte[] body = (name + " " + request.uri()).getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            boolean keepAlive = HttpUtil.isKeepAlive(request) && !request.headers().contains("x-close");
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            }
        }
    }

    private final class H2Streams extends ChannelInboundHandlerAdapter {
        private final int connection;

        H2Streams(int connection) {
            this.connection = connection;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame h) {
                if (h.isEndStream()) {
                    answer(ctx, h);
                } else {
                    pending.put(h.stream().id(), h);
                }
            } else if (msg instanceof Http2DataFrame d) {
                boolean end = d.isEndStream();
                int id = d.stream().id();
                d.release();
                Http2HeadersFrame h = end ? pending.remove(id) : null;
                if (h != null) {
                    answer(ctx, h);
                }
            } else {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }

        private final java.util.Map<Integer, Http2HeadersFrame> pending = new java.util.HashMap<>();

        private void answer(ChannelHandlerContext ctx, Http2HeadersFrame h) {
            requests.incrementAndGet();
            h2StreamConnections.add(connection);
            Http2Headers headers = new DefaultHttp2Headers().status("200").add("content-type", "text/plain")
                    .add("x-scheme", String.valueOf(h.headers().scheme()));
            ByteBuf body = Unpooled.copiedBuffer(name + " " + h.headers().path(), StandardCharsets.UTF_8);
            ctx.write(new DefaultHttp2HeadersFrame(headers).stream(h.stream()));
            ctx.writeAndFlush(new DefaultHttp2DataFrame(body, true).stream(h.stream()));
        }
    }
}
