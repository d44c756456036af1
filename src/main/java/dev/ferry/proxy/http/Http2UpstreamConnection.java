package dev.ferry.proxy.http;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.transport.LoopFlusher;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * One HTTP/2 connection to a server (h2c: prior knowledge, RFC 9113 3.3), carrying the requests of any client of its
 * event loop as streams ({@link Http2UpstreamStream}), handed out by the loop's {@link Http2UpstreamPool} while the
 * connection has room: fewer streams than the smaller of the server's SETTINGS_MAX_CONCURRENT_STREAMS and the
 * backend's {@code http2.max_concurrent_streams}, no GOAWAY received, younger than {@code max_connection_age}.
 *
 * <p>The codec is Netty's {@link Http2ConnectionHandler} in client mode with this class as its frame listener, as
 * for client connections ({@link Http2ProxyConnection}): the exchange is the per-stream object already. Ferry
 * announces no server push, a stream window of {@value #STREAM_WINDOW} bytes and a connection window of
 * {@value #CONNECTION_WINDOW}: a slow client holds at most a stream window of the server's bytes here.
 *
 * <p>GOAWAY: no new stream goes on the connection; its streams above the last stream id the server names were not
 * processed and are handed back to their exchanges as refused (as are streams the server resets with
 * REFUSED_STREAM), which send them again elsewhere whatever the method; the others finish, then the connection closes.
 *
 * <p>Counting: while it carries no stream the connection is inactive in the server's counters (one
 * {@link Server#openIdle() idle lease}); its streams count as active, each on its own.
 *
 * <p>Threading: confined to its channel's event loop, which is the loop of every client whose streams it carries.
 */
final class Http2UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2UpstreamConnection.class);
    /** The receive window of each stream Ferry opens. */
    static final int STREAM_WINDOW = 256 * 1024;
    /** The receive window of the whole connection. */
    static final int CONNECTION_WINDOW = 4 * 1024 * 1024;
    /** The most a response head (and trailers) from a server may take (as from HTTP/1 servers). */
    static final int MAX_HEADER_LIST = ResponseDecoder.MAX_HEADER_SIZE;
    /** The RFC's initial window, which Netty starts the connection with. */
    private static final int DEFAULT_WINDOW = 65_535;

    private final Server server;
    private final Http2UpstreamPool pool;
    private final int maxStreams;
    private final long bornAt;
    private final IntObjectMap<Http2UpstreamStream> streams = new IntObjectHashMap<>();
    /** Streams handed out before the connection was up; they learn of it through {@code opened}. */
    private final List<Waiting> waiting = new ArrayList<>();
    /** Streams that got something during the current socket read. */
    private final List<Http2UpstreamStream> touched = new ArrayList<>();
    private Channel channel;
    private Http2ConnectionHandler codec;
    private ChannelHandlerContext codecCtx;
    private ConnectionLease idleLease;
    /** Streams handed out and not done: waiting, started, or claimed and about to start. */
    private int users;
    private int carried;
    private boolean up;
    private boolean goingAway;
    private boolean closed;
    private long idleSince;
    private boolean tls;

    private record Waiting(Http2UpstreamStream stream, UpstreamListener listener, UpstreamPool.Opened whenDone) {
    }

    Http2UpstreamConnection(Server server, Http2UpstreamPool pool, int maxStreams, long now) {
        this.server = server;
        this.pool = pool;
        this.maxStreams = maxStreams;
        this.bornAt = now;
        this.idleSince = now;
    }

    /** The codec this connection listens to, for the channel's pipeline (added before this handler). */
    Http2ConnectionHandler newCodec() {
        Http2Settings settings = new Http2Settings()
                .pushEnabled(false)
                .maxConcurrentStreams(0)
                .initialWindowSize(STREAM_WINDOW)
                .maxHeaderListSize(MAX_HEADER_LIST);
        codec = new Http2ConnectionHandlerBuilder()
                .server(false)
                .initialSettings(settings)
                .validateHeaders(true)
                .gracefulShutdownTimeoutMillis(0)
                .frameListener(new Frames())
                .build();
        codec.connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                Http2UpstreamStream s = streams.remove(stream.id());
                if (s != null) {
                    s.closedUnderneath();
                    oneLess();
                }
            }
        });
        codec.encoder().flowController().listener(stream -> {
            Http2UpstreamStream s = streams.get(stream.id());
            if (s != null) {
                s.writabilityChanged();
            }
        });
        return codec;
    }

    void bind(Channel channel) {
        bind(channel, false);
    }

    /** @param tls whether the connection is HTTP/2 over TLS ({@code protocol: h2}) */
    void bind(Channel channel, boolean tls) {
        this.channel = channel;
        this.tls = tls;
    }

    Server server() {
        return server;
    }

    Channel channel() {
        return channel;
    }

    /** {@code :scheme} of the requests: h2c is HTTP/2 over plain TCP, h2 over TLS. */
    String scheme() {
        return tls ? "https" : "http";
    }

    /** Whether the connection is older than {@code maxAgeNanos} ({@code max_connection_age}; 0: no limit). */
    boolean pastAge(long now, long maxAgeNanos) {
        return maxAgeNanos > 0 && now - bornAt >= maxAgeNanos;
    }

    long idleSince() {
        return idleSince;
    }

    int users() {
        return users;
    }

    boolean isUp() {
        return up && !closed;
    }

    // ---- handing out streams ----

    /** Whether another stream may go on this connection now (connected or still connecting), given its age. */
    boolean hasRoom(long now, long maxAgeNanos) {
        if (closed || goingAway || pastAge(now, maxAgeNanos)) {
            return false;
        }
        int limit = maxStreams;
        if (up) {
            // The server's SETTINGS_MAX_CONCURRENT_STREAMS, as Netty applies it to the streams this side opens.
            limit = Math.min(limit, codec.connection().local().maxActiveStreams());
        }
        return users < limit;
    }

    /** A stream on this connection, which is up, handed to {@code listener} at once. */
    Http2UpstreamStream claimStream(UpstreamListener listener) {
        Http2UpstreamStream s = newStream();
        s.claim(listener);
        return s;
    }

    /**
     * A stream on this connection, which is being made: claimed for {@code listener} once it is up, then
     * {@code whenDone} follows (or follows with the failure).
     */
    Http2UpstreamStream waitingStream(UpstreamListener listener, UpstreamPool.Opened whenDone) {
        Http2UpstreamStream s = newStream();
        waiting.add(new Waiting(s, listener, whenDone));
        return s;
    }

    private Http2UpstreamStream newStream() {
        if (users++ == 0 && idleLease != null) {
            idleLease.close();
            idleLease = null;
        }
        return new Http2UpstreamStream(this, carried++);
    }

    /**
     * The connect ended (failed, or up: {@link #channelActive}): each waiting stream is claimed for its listener
     * (even if abandoned meanwhile: its attempt then resets it) and told, or, on a failure, let go and told why.
     */
    void connectEnded(Throwable failure) {
        if (failure != null) {
            closed = true;
        }
        List<Waiting> all = new ArrayList<>(waiting);
        waiting.clear();
        for (Waiting w : all) {
            Http2UpstreamStream s = w.stream();
            if (failure != null) {
                if (!s.isDone()) {
                    s.connectFailed();
                    users--;
                }
            } else {
                s.claim(w.listener());
            }
            w.whenDone().opened(s, failure);
        }
        if (failure == null && users == 0) {
            becameIdle();
        }
    }

    // ---- what streams use ----

    /** Opens the stream with its request head, or refuses it soon when the connection takes no more. */
    void startStream(Http2UpstreamStream s, Http2Headers headers, boolean endStream) {
        if (closed || goingAway) {
            refuseSoon(s);
            return;
        }
        int id = codec.connection().local().incrementAndGetNextStreamId();
        if (id < 0) {
            // Stream ids used up: this connection takes no more.
            goingAway = true;
            refuseSoon(s);
            return;
        }
        s.started(id);
        streams.put(id, s);
        ChannelPromise promise = codecCtx.newPromise();
        promise.addListener(f -> {
            if (!f.isSuccess() && streams.remove(id) == s) {
                // Netty refused to open it (the server's limit reached meanwhile, a GOAWAY): nothing reached it.
                log.debug("stream {} to {} not opened: {}", id, server.name(), f.cause().toString());
                s.markRefused();
                s.closedUnderneath();
                oneLess();
            }
        });
        codec.encoder().writeHeaders(codecCtx, id, headers, 0, endStream, promise);
    }

    private void refuseSoon(Http2UpstreamStream s) {
        s.markRefused();
        channel.eventLoop().execute(() -> {
            // Unless its exchange let go of it meanwhile (which counted it off already).
            if (s.closedUnderneath()) {
                oneLess();
            }
        });
    }

    /** Writes DATA (owned from here; held by the flow controller while the server's window is shut). */
    void writeData(Http2UpstreamStream s, ByteBuf data, boolean endStream, Runnable written) {
        if (closed || streams.get(s.id()) != s) {
            data.release();
            if (written != null) {
                written.run();
            }
            return;
        }
        ChannelPromise promise = codecCtx.newPromise();
        if (written != null) {
            promise.addListener(f -> written.run());
        }
        codec.encoder().writeData(codecCtx, s.id(), data, 0, endStream, promise);
    }

    void writeTrailers(Http2UpstreamStream s, Http2Headers trailers) {
        if (!closed && streams.get(s.id()) == s) {
            codec.encoder().writeHeaders(codecCtx, s.id(), trailers, 0, true, codecCtx.newPromise());
        }
    }

    boolean isWritable(Http2UpstreamStream s) {
        if (closed || !up) {
            return false;
        }
        Http2Stream stream = s.id() < 0 ? null : codec.connection().stream(s.id());
        return stream != null ? codec.encoder().flowController().isWritable(stream) : channel.isWritable();
    }

    /** {@code bytes} of a stream's response were taken onward: the server may send that much more. */
    void consumed(Http2UpstreamStream s, int bytes) {
        Http2Stream stream = closed ? null : codec.connection().stream(s.id());
        if (stream == null) {
            // A closed stream's bytes went back to the connection's window when it closed.
            return;
        }
        try {
            if (codec.connection().local().flowController().consumeBytes(stream, bytes)) {
                flushSoon();
            }
        } catch (Http2Exception e) {
            log.debug("flow control on the connection to {}: {}", server.name(), e.getMessage());
            channel.close();
        }
    }

    void flushSoon() {
        if (!closed) {
            LoopFlusher.flushSoon(channel);
        }
    }

    /** The exchange let go of {@code s}; a stream that did not end both ways is cancelled. */
    void streamDone(Http2UpstreamStream s, boolean cancel) {
        if (s.id() >= 0 && streams.remove(s.id()) == s) {
            Http2Stream stream = closed ? null : codec.connection().stream(s.id());
            if (cancel && stream != null && stream.state() != Http2Stream.State.CLOSED) {
                codec.resetStream(codecCtx, s.id(), Http2Error.CANCEL.code(), codecCtx.newPromise());
                flushSoon();
            }
            oneLess();
        } else if (s.id() < 0) {
            // Abandoned before its head went (its exchange moved on while the connection was being made).
            oneLess();
        }
    }

    private void oneLess() {
        if (--users == 0) {
            if (goingAway) {
                close();
            } else if (up && !closed) {
                becameIdle();
            }
        }
    }

    private void becameIdle() {
        dev.ferry.backend.BackendQueue queue = server.backend() == null ? null : server.backend().queue();
        if (queue != null && queue.wantsSlotOf(server, idleLease == null ? 1 : 0)) {
            close(); // at its max_connections with a queue: the slot goes to a waiting request, not to idling
            return;
        }
        idleSince = pool.now();
        if (idleLease == null) {
            idleLease = server.openIdle();
        }
        pool.idle(this);
    }

    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    /** Takes no new streams from here; closes once those it carries are done (at once when it carries none). */
    void retire() {
        goingAway = true;
        if (users == 0) {
            close();
        }
    }

    // ---- the channel ----

    @Override
    public boolean isSharable() {
        return false;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        codecCtx = ctx.pipeline().context(codec);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        up = true;
        // The codec wrote the preface and SETTINGS; the connection's window grows past the RFC's initial one.
        codec.connection().local().flowController().incrementWindowSize(codec.connection().connectionStream(),
                CONNECTION_WINDOW - DEFAULT_WINDOW);
        ctx.flush();
        ctx.read();
        ctx.fireChannelActive();
        // Only now: the promise of the connect completes before the codec has written the preface.
        connectEnded(null);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!touched.isEmpty()) {
            List<Http2UpstreamStream> all = new ArrayList<>(touched);
            touched.clear();
            for (Http2UpstreamStream s : all) {
                s.readComplete();
            }
        }
        ctx.fireChannelReadComplete();
        // A shared connection always reads: flow control, per stream, is what holds a server back.
        if (!closed) {
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        pool.remove(this);
        if (idleLease != null) {
            idleLease.close();
            idleLease = null;
        }
        List<Http2UpstreamStream> all = new ArrayList<>(streams.values());
        streams.clear();
        for (Http2UpstreamStream s : all) {
            s.closedUnderneath();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The exchanges learn of it from the close that follows, and record their attempts' outcomes.
        log.debug("HTTP/2 connection to {} failed: {}", server.name(), cause.toString());
        ctx.close();
    }

    /** The codec's frame events. */
    private final class Frames extends Http2FrameAdapter {
        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                  boolean endStream) {
            Http2UpstreamStream s = streams.get(streamId);
            if (s != null) {
                touch(s);
                s.headersRead(headers, endStream);
            }
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                                  short weight, boolean exclusive, int padding, boolean endStream) {
            onHeadersRead(ctx, streamId, headers, padding, endStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                              boolean endOfStream) {
            Http2UpstreamStream s = streams.get(streamId);
            int bytes = data.readableBytes();
            if (s == null) {
                return bytes + padding;
            }
            touch(s);
            // The padding goes back at once, the data once the client took it (Http2UpstreamStream#read).
            return s.dataRead(data.retain(), endOfStream) ? padding : bytes + padding;
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            Http2UpstreamStream s = streams.get(streamId);
            if (s != null) {
                log.debug("{} reset stream {} ({})", server.name(), streamId, Http2Error.valueOf(errorCode));
                if (errorCode == Http2Error.REFUSED_STREAM.code()) {
                    s.markRefused();
                }
            }
            // The codec closes the stream next: onStreamClosed tells the exchange.
        }

        @Override
        public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
            goingAway = true;
            log.debug("{} sent GOAWAY (last stream {}, {})", server.name(), lastStreamId,
                    Http2Error.valueOf(errorCode));
            for (Http2UpstreamStream s : streams.values()) {
                if (s.id() > lastStreamId) {
                    // Not processed (RFC 9113 6.8): the codec closes these next, and their exchanges resend them.
                    s.markRefused();
                }
            }
            pool.goingAway(Http2UpstreamConnection.this);
            if (users == 0) {
                close();
            }
        }
    }

    private void touch(Http2UpstreamStream s) {
        if (!touched.contains(s)) {
            touched.add(s);
        }
    }

    @Override
    public String toString() {
        return (tls ? "h2 to " : "h2c to ") + server.name() + (channel == null ? "" : " " + channel.localAddress());
    }
}
