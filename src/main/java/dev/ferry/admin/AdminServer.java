package dev.ferry.admin;

import dev.ferry.cluster.ClusterState;
import dev.ferry.config.AdminConfig;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP server on {@code admin.listen}: the JSON API ({@link AdminApi}), {@code /metrics} and the
 * dashboard. It refuses to start on a non-loopback address without {@code token_file}; with a token, every
 * {@code /api} call needs {@code Authorization: Bearer <token>}.
 *
 * <p>Threading: requests are decoded on an event loop and answered on one admin thread, one at a time, so API calls
 * that block (reload, adding a server) never hold an event loop.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_BODY = 64 * 1024;

    private final AdminApi api;
    private final MetricsExporter metrics;
    private final StaticAssets assets = new StaticAssets();
    private final Optional<byte[]> token;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ferry-admin");
        t.setDaemon(true);
        return t;
    });
    private final Channel channel;

    private AdminServer(AdminApi api, MetricsExporter metrics, Optional<byte[]> token, Channel channel) {
        this.api = api;
        this.metrics = metrics;
        this.token = token;
        this.channel = channel;
    }

    /**
     * Starts the admin server of {@code config.admin()}.
     *
     * @throws ConfigException when the address is not loopback and there is no token, or the token file is unreadable
     * @throws BindException   when the address is in use
     */
    public static AdminServer start(FerryConfig config, Balancer balancer, Reloader reloader, String version)
            throws ConfigException, BindException {
        return start(config, balancer, reloader, version, null);
    }

    /**
     * {@link #start(FerryConfig, Balancer, Reloader, String)} for an instance of a cluster: the status report gets
     * a {@code cluster} section and the metrics the {@code ferry_cluster_*} meters.
     *
     * @param cluster the instance's cluster state; null outside a cluster
     */
    public static AdminServer start(FerryConfig config, Balancer balancer, Reloader reloader, String version,
                                    ClusterState cluster) throws ConfigException, BindException {
        AdminConfig admin = config.admin().orElseThrow();
        List<ConfigProblem> problems = problems(config);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Optional<byte[]> token = readToken(config, admin);
        InetSocketAddress address = admin.listen().resolve();
        MetricsExporter metrics = new MetricsExporter(balancer);
        if (cluster != null) {
            ClusterMeters.register(metrics.registry(), cluster);
        }
        AdminApi api = new AdminApi(balancer, reloader, metrics, version, cluster);
        AdminServer[] self = new AdminServer[1];
        Transport transport = balancer.transport();
        ChannelFuture bound = new ServerBootstrap()
                .group(transport.workers())
                .channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY),
                                new Handler(self[0]));
                    }
                })
                .bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            metrics.close();
            throw new BindException("cannot listen on " + admin.listen() + " for the admin API: "
                    + String.valueOf(bound.cause().getMessage()).replaceFirst("^.*: ", "").toLowerCase());
        }
        self[0] = new AdminServer(api, metrics, token, bound.channel());
        return self[0];
    }

    /**
     * What {@link #start} would refuse, found without binding (for {@code ferry validate} and the start-up checks):
     * an unreadable or empty token file, a non-loopback address without a token. Blocking (file read, name lookup).
     */
    public static List<ConfigProblem> problems(FerryConfig config) {
        if (config.admin().isEmpty()) {
            return List.of();
        }
        AdminConfig admin = config.admin().get();
        List<ConfigProblem> found = new ArrayList<>();
        try {
            readToken(config, admin);
        } catch (ConfigException e) {
            found.addAll(e.problems());
        }
        if (admin.tokenFile().isEmpty() && !isLoopback(admin.listen().resolve())) {
            found.add(config.problem("admin.listen", admin.listen()
                    + " is not a loopback address; set admin.token_file so the admin API needs a token there"));
        }
        return found;
    }

    private static boolean isLoopback(InetSocketAddress address) {
        InetAddress a = address.getAddress();
        return a != null && a.isLoopbackAddress();
    }

    private static Optional<byte[]> readToken(FerryConfig config, AdminConfig admin) throws ConfigException {
        if (admin.tokenFile().isEmpty()) {
            return Optional.empty();
        }
        try {
            String t = Files.readString(admin.tokenFile().get()).strip();
            if (t.isEmpty()) {
                throw new ConfigException(List.of(config.problem("admin.token_file",
                        admin.tokenFile().get() + " is empty; put the token in it")));
            }
            return Optional.of(t.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException(List.of(config.problem("admin.token_file",
                    "cannot read " + admin.tokenFile().get() + ": " + e.getMessage())));
        }
    }

    /** Where the admin server listens (the real port when configured with port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    private boolean authorised(FullHttpRequest request) {
        if (token.isEmpty()) {
            return true;
        }
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION, "");
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        // Constant-time comparison, so the token cannot be guessed byte by byte from response times.
        return MessageDigest.isEqual(token.get(), header.substring(7).strip().getBytes(StandardCharsets.UTF_8));
    }

    private AdminResponse answer(String method, String path, Map<String, List<String>> query, byte[] body,
                                 boolean authorised, String client) {
        if (path.startsWith("/api/") && !authorised) {
            return AdminApi.error(401, "unauthorised", "send Authorization: Bearer <token> (the token in admin.token_file)");
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            Optional<AdminResponse> asset = assets.get(path);
            if (asset.isPresent()) {
                return asset.get();
            }
        }
        return api.handle(method, path, query, body, client);
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        worker.shutdownNow();
        metrics.close();
    }

    /** Decodes on the event loop, answers on the admin thread, writes back on the event loop. */
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final AdminServer server;

        Handler(AdminServer server) {
            this.server = server;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.decoderResult().isSuccess()) {
                write(ctx, AdminApi.error(400, "bad request", "the request could not be parsed"), false, false);
                return;
            }
            String method = request.method().name();
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String path = uri.path();
            Map<String, List<String>> query = uri.parameters();
            byte[] body = ByteBufUtil.getBytes(request.content());
            boolean authorised = server.authorised(request);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            boolean head = request.method().equals(HttpMethod.HEAD);
            String client = ctx.channel().remoteAddress() instanceof InetSocketAddress a
                    ? dev.ferry.config.Addresses.format(a) : String.valueOf(ctx.channel().remoteAddress());
            server.worker.execute(() -> {
                AdminResponse response;
                try {
                    response = server.answer(head ? "GET" : method, path, query, body, authorised, client);
                } catch (RuntimeException e) {
                    log.warn("admin API: {} {} failed: {}", method, path, e.toString());
                    log.debug("stack trace", e);
                    response = AdminApi.error(500, "internal error", String.valueOf(e.getMessage()));
                }
                AdminResponse r = response;
                ctx.executor().execute(() -> write(ctx, r, keepAlive, head));
            });
        }

        private static void write(ChannelHandlerContext ctx, AdminResponse r, boolean keepAlive, boolean head) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(r.status()), head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
                    .set(HttpHeaderNames.CONTENT_LENGTH, r.body().length)
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            if (r.status() == 401) {
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            }
            HttpUtil.setKeepAlive(response, keepAlive);
            ChannelFuture f = ctx.writeAndFlush(response);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
