package dev.ferry.proxy.http;

import dev.ferry.config.ConnectionAge;
import dev.ferry.config.Http2Options;
import dev.ferry.config.HttpOptions;
import dev.ferry.health.Timeline;
import dev.ferry.logging.RateLimitedLog;
import dev.ferry.transport.LoopFlusher;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
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

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 client connection of an http frontend (h2 by ALPN, or h2c by prior knowledge: {@link Http2Detector}):
 * every stream is one {@link Exchange} of its own, so each request is routed and scheduled on its own and the
 * requests of one connection spread over the servers as separate HTTP/1 requests would.
 *
 * <p>The codec is Netty's {@link Http2ConnectionHandler} with this class as its frame listener, not
 * {@code Http2FrameCodec} with {@code Http2MultiplexHandler}. Why: the exchange already is the per-stream object
 * (a child channel and pipeline per stream would sit between the codec and it and add nothing but allocations and
 * a second flow of events), and the connection handler leaves the local flow controller to its user: the bytes of a
 * DATA frame are given back to the client's windows ({@code consumeBytes}) only when they were written to the
 * server's socket ({@link Http2DownstreamStream}), where the multiplex handler gives them back as the child channel
 * reads them. With one handler per connection on the connection's event loop, flow control runs end to end without
 * locks or hand-offs.
 *
 * <p>What the connection owns: the codec ({@link Http2ServerCodec}, with the frontend's {@code http.h2} limits), the
 * control-frame budget ({@link Http2ControlFrameBudget}), the idle timeout (no stream and nothing read for
 * {@code client_idle}: GOAWAY and close; with streams, the shortest of their exchanges' idle timeouts), each
 * exchange's response timeout, draining (GOAWAY with the last stream id, streams under way finish, then close) and
 * {@code max_connection_age} (gRPC's A9: at the jittered age GOAWAY with the last stream id 2^31-1 and a PING; once
 * the PING is answered, or after a second, GOAWAY with the last stream id taken and draining; after
 * {@code max_connection_age_grace} the connection closes whatever is still under way). Malformed requests are stream
 * errors (PROTOCOL_ERROR; {@link Http2RequestChecks}), a head with more than {@code http.max_header_count} fields gets
 * 431, and the connection carries on.
 *
 * <p>Threading: every method runs on the client channel's event loop, which is also the loop of its server
 * connections; no field needs synchronisation.
 */
final class Http2ProxyConnection extends ChannelInboundHandlerAdapter implements DownstreamConnection, Drainable {
    private static final Logger log = LoggerFactory.getLogger(HttpProxyConnection.class);
    private static final RateLimitedLog INTERNAL_ERRORS = new RateLimitedLog(log, java.time.Duration.ofSeconds(10));
    /** The PING payload of the first age GOAWAY (gRPC's two-step GOAWAY): its ACK says the client saw it. */
    static final long AGE_PING = 0x4645525259414745L;
    /** How long the first age GOAWAY waits for its PING's ACK before the second one goes anyway. */
    private static final long AGE_PING_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final HttpFrontend frontend;
    private final Channel client;
    private final UpstreamPool pool;
    private final Timeline clock;
    private final InetSocketAddress source;
    private final InetSocketAddress destination;
    private final ForwardingHeaders.Client clientAddress;
    private final IntObjectMap<Http2DownstreamStream> streams = new IntObjectHashMap<>();
    /** This connection in the frontend's open-connection and open-stream gauges. */
    private final Http2Gauges.Connection gauges;
    private Http2ServerCodec codec;
    private Http2ControlFrameBudget controlFrames;
    private int maxHeaderCount;
    /** {@code max_connection_age}: when the connection opened, its jittered age (-1: none) and the grace. */
    private long openedAt;
    private long maxAgeNanos = -1;
    private long graceNanos;
    /** The first age GOAWAY (last stream id 2^31-1) went out: new streams are still taken until the second. */
    private boolean goingAway;
    private Timeline.Scheduled ageTimer;
    private ChannelHandlerContext codecCtx;
    private boolean draining;
    private boolean closed;
    private long lastActivity;
    private Timeline.Scheduled timer;
    private long timerAt;

    private Http2ProxyConnection(HttpFrontend frontend, Channel client, InetSocketAddress source,
                                 InetSocketAddress destination, ForwardingHeaders.Client clientAddress) {
        this.frontend = frontend;
        this.client = client;
        this.pool = frontend.pool(client.eventLoop());
        this.clock = frontend.timeline(client.eventLoop());
        this.source = source;
        this.destination = destination;
        this.clientAddress = clientAddress;
        this.gauges = frontend.http2Gauges().opened();
    }

    /**
     * Puts the HTTP/2 codec and a connection after the handler named {@code after}: a byte counter, the codec, this.
     *
     * @param options  the frontend's {@code http:} options when the client connected ({@code h2},
     *                 {@code max_header_size}, {@code max_header_count})
     * @param openedAt when the client connected (its loop's Timeline), for {@code max_connection_age}
     */
    static void install(ChannelPipeline p, String after, HttpFrontend frontend, InetSocketAddress source,
                        InetSocketAddress destination, ForwardingHeaders.Client clientAddress, HttpOptions options,
                        long openedAt) {
        Channel client = p.channel();
        Http2ProxyConnection c = new Http2ProxyConnection(frontend, client, source, destination, clientAddress);
        Http2Options limits = options.h2();
        Http2ServerCodec codec = Http2ServerCodec.of(limits, options.h2MaxHeaderListSize(), c.new Frames(),
                frontend.http2Frames(), frontend.http2Stats());
        c.codec = codec;
        codec.connection().addListener(c.gauges);
        c.controlFrames = new Http2ControlFrameBudget(limits.maxControlFrames(), limits.controlWindow().toNanos());
        c.maxHeaderCount = options.maxHeaderCount();
        c.openedAt = openedAt;
        ConnectionAge age = frontend.connectionAge();
        if (age.limited()) {
            c.maxAgeNanos = age.jitteredNanos(ThreadLocalRandom.current());
            c.graceNanos = age.grace().toNanos();
        }
        codec.connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                c.streamClosed(stream);
            }
        });
        codec.encoder().flowController().listener(c::writabilityChanged);
        p.addAfter(after, "h2-bytes", frontend.byteCounter())
                .addAfter("h2-bytes", "h2", codec)
                .addAfter("h2", "h2-proxy", c);
    }

    // ---- what exchanges use ----

    @Override
    public HttpFrontend frontend() {
        return frontend;
    }

    @Override
    public UpstreamPool pool() {
        return pool;
    }

    @Override
    public InetSocketAddress source() {
        return source;
    }

    @Override
    public InetSocketAddress destination() {
        return destination;
    }

    @Override
    public ForwardingHeaders.Client clientAddress() {
        return clientAddress;
    }

    @Override
    public boolean draining() {
        return draining;
    }

    @Override
    public long now() {
        return clock.nanoTime();
    }

    @Override
    public long lastActivity() {
        return lastActivity;
    }

    @Override
    public void touch(long now) {
        lastActivity = now;
    }

    // ---- what streams use ----

    /** Writes a HEADERS frame; returns when it went (or failed), or null when the connection is closed. */
    ChannelFuture writeHeaders(Http2Stream stream, Http2Headers headers, boolean endStream) {
        if (closed) {
            return null;
        }
        return codec.encoder().writeHeaders(codecCtx, stream.id(), headers, 0, endStream, codecCtx.newPromise());
    }

    /**
     * Writes a DATA frame (owned from here; queued by the flow controller while the window is shut); returns when
     * it went (or failed), or null when the connection is closed.
     */
    ChannelFuture writeData(Http2Stream stream, ByteBuf data, boolean endStream) {
        if (closed) {
            data.release();
            return null;
        }
        return codec.encoder().writeData(codecCtx, stream.id(), data, 0, endStream, codecCtx.newPromise());
    }

    void resetStream(Http2Stream stream, Http2Error error) {
        if (!closed && stream.state() != Http2Stream.State.CLOSED) {
            codec.resetStream(codecCtx, stream.id(), error.code(), codecCtx.newPromise());
            flushSoon();
        }
    }

    /** Whether the stream's send window and the connection take more of a response now. */
    boolean isWritable(Http2Stream stream) {
        return !closed && codec.encoder().flowController().isWritable(stream);
    }

    /** {@code bytes} of the stream's request body went on (or were dropped): the client's windows open by them. */
    void consumed(Http2Stream stream, int bytes) {
        if (closed || bytes <= 0) {
            return;
        }
        try {
            if (codec.connection().local().flowController().consumeBytes(stream, bytes)) {
                flushSoon();
            }
        } catch (Http2Exception e) {
            log.debug("{}: flow control on {}: {}", frontend.name(), client.remoteAddress(), e.getMessage());
            client.close();
        }
    }

    void flushSoon() {
        LoopFlusher.flushSoon(client);
    }

    /** The exchange on {@code s} is over. */
    void streamDone(Http2DownstreamStream s) {
        streams.remove(s.id());
        closeIfDrained();
    }

    /**
     * Draining and nothing left under way: closes. Netty's count of active streams matters as well as the exchanges:
     * a response whose exchange is done may still wait in the flow controller for the client's window, and its
     * stream closes only once its END_STREAM went out ({@link #streamClosed}).
     */
    private void closeIfDrained() {
        if (draining && !closed && streams.isEmpty() && codec.connection().numActiveStreams() == 0) {
            close();
        }
    }

    private void streamClosed(Http2Stream stream) {
        Http2DownstreamStream s = streams.remove(stream.id());
        if (s != null) {
            s.clientGone();
        }
        closeIfDrained();
    }

    private void writabilityChanged(Http2Stream stream) {
        Http2DownstreamStream s = streams.get(stream.id());
        if (s != null && s.live() && s.isWritable()) {
            s.exchange().clientWritable();
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
        long now = clock.nanoTime();
        lastActivity = now;
        ensureTimer(now + frontend.clientIdleNanos());
        if (maxAgeNanos >= 0) {
            ageTimer = clock.schedule(this::ageReached, Math.max(0, openedAt + maxAgeNanos - now));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastActivity = clock.nanoTime();
        for (Http2DownstreamStream s : snapshot()) {
            Exchange e = s.exchange();
            if (e != null && s.live()) {
                e.flushUpstream();
            }
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        gauges.closed();
        cancelTimer();
        List<Http2DownstreamStream> all = snapshot();
        streams.clear();
        for (Http2DownstreamStream s : all) {
            s.clientGone();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("{}: client {} failed: {}", frontend.name(), client.remoteAddress(), cause.getMessage());
        } else {
            INTERNAL_ERRORS.warn("{}: internal error on the HTTP/2 connection from {}: {}; closing it",
                    frontend.name(), client.remoteAddress(), cause.toString());
            log.debug("{}: internal error", frontend.name(), cause);
        }
        close();
    }

    private List<Http2DownstreamStream> snapshot() {
        return new ArrayList<>(streams.values());
    }

    @Override
    public void drain() {
        if (draining || closed) {
            return;
        }
        draining = true;
        // No new streams from here (RFC 9113 6.8); those the client opened so far finish. The GOAWAY goes out even
        // when none is under way, so that after an age GOAWAY of 2^31-1 the client learns the real last stream id.
        codec.goAway(codecCtx, codec.connection().remote().lastStreamCreated(), Http2Error.NO_ERROR.code(),
                Unpooled.EMPTY_BUFFER, codecCtx.newPromise());
        flushSoon();
        closeIfDrained();
    }

    // ---- max_connection_age ----

    /** The connection's age is reached: the first GOAWAY (new streams still taken) and a PING to learn it arrived. */
    private void ageReached() {
        ageTimer = null;
        if (closed || draining || goingAway) {
            return;
        }
        goingAway = true;
        log.debug("{}: HTTP/2 connection {} reached max_connection_age", frontend.name(), client.remoteAddress());
        codec.goAway(codecCtx, Integer.MAX_VALUE, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                codecCtx.newPromise());
        codec.encoder().writePing(codecCtx, false, AGE_PING, codecCtx.newPromise());
        flushSoon();
        ageTimer = clock.schedule(this::agedOut, AGE_PING_WAIT_NANOS);
    }

    /** The client saw the first GOAWAY (or had a second to): the real one, then the grace for streams under way. */
    private void agedOut() {
        if (ageTimer != null) {
            ageTimer.cancel();
            ageTimer = null;
        }
        if (closed || draining) {
            return;
        }
        ageTimer = clock.schedule(this::graceOver, graceNanos);
        drain();
    }

    private void graceOver() {
        ageTimer = null;
        if (!closed) {
            log.debug("{}: HTTP/2 connection {}: max_connection_age_grace over with {} streams under way",
                    frontend.name(), client.remoteAddress(), streams.size());
            close();
        }
    }

    /** GOAWAY (the codec sends it on close) and close. */
    private void close() {
        if (!closed) {
            closed = true;
            cancelTimer();
            client.close();
        }
    }

    // ---- frames ----

    /** The codec's frame events for this connection. */
    private final class Frames extends Http2FrameAdapter {
        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                  boolean endStream) throws Http2Exception {
            lastActivity = clock.nanoTime();
            Http2DownstreamStream s = streams.get(streamId);
            if (s != null) {
                if (!endStream) {
                    throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR,
                            "a second header block without END_STREAM");
                }
                s.trailersRead(headers);
                return;
            }
            Http2Stream stream = codec.connection().stream(streamId);
            if (stream == null || stream.state() == Http2Stream.State.CLOSED
                    || stream.state() == Http2Stream.State.HALF_CLOSED_LOCAL) {
                // Trailers of a stream whose exchange ended already.
                return;
            }
            int fields = 0;
            for (Map.Entry<CharSequence, CharSequence> field : headers) {
                if (!Http2Headers.PseudoHeaderName.hasPseudoHeaderFormat(field.getKey())) {
                    fields++;
                }
            }
            if (fields > maxHeaderCount) {
                // As HTTP/1's 431 (http.max_header_count); Netty answers a header-list error with 431 and a reset.
                throw Http2Exception.headerListSizeError(streamId, Http2Error.PROTOCOL_ERROR, true, "%s: %d > %d",
                        Http2Violation.HEADER_COUNT_MESSAGE, fields, maxHeaderCount);
            }
            String problem = Http2RequestChecks.problem(headers);
            Http2RequestHead head = null;
            if (problem == null) {
                try {
                    head = Http2RequestHead.of(headers, endStream, destination);
                } catch (IllegalArgumentException e) {
                    problem = "invalid :method";
                }
            }
            if (problem != null) {
                log.debug("{}: malformed request on stream {} from {}: {}", frontend.name(), streamId,
                        client.remoteAddress(), problem);
                throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, "malformed request: %s",
                        problem);
            }
            if (draining) {
                throw Http2Exception.streamError(streamId, Http2Error.REFUSED_STREAM, "the frontend is stopping");
            }
            s = new Http2DownstreamStream(Http2ProxyConnection.this, stream);
            streams.put(streamId, s);
            Exchange e = Exchange.of(Http2ProxyConnection.this, s, head, lastActivity);
            s.exchange(e);
            frontend.requestArrived(head);
            if (endStream) {
                s.requestWithoutBody();
            }
            e.start();
            s.drive();
        }

        @Override
        public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                                  short weight, boolean exclusive, int padding, boolean endStream)
                throws Http2Exception {
            onHeadersRead(ctx, streamId, headers, padding, endStream);
        }

        @Override
        public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                              boolean endOfStream) {
            lastActivity = clock.nanoTime();
            Http2DownstreamStream s = streams.get(streamId);
            if (s == null) {
                // Its exchange ended: nothing takes the bytes, which go straight back to the window.
                return data.readableBytes() + padding;
            }
            // The padding is given back at once, the data once it was written to the server.
            s.dataRead(data.retain(), endOfStream);
            return padding;
        }

        @Override
        public void onPingRead(ChannelHandlerContext ctx, long data) throws Http2Exception {
            controlFrames.frame(clock.nanoTime());
        }

        @Override
        public void onPingAckRead(ChannelHandlerContext ctx, long data) {
            if (data == AGE_PING && goingAway) {
                agedOut();
            }
        }

        @Override
        public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
            controlFrames.frame(clock.nanoTime());
        }

        @Override
        public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                                   boolean exclusive) throws Http2Exception {
            controlFrames.frame(clock.nanoTime());
        }

        @Override
        public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId,
                                   io.netty.handler.codec.http2.Http2Flags flags, ByteBuf payload) {
            try {
                controlFrames.frame(clock.nanoTime());
            } catch (Http2Exception e) {
                // This callback may not throw: the codec is told of the connection error as a throw would tell it.
                codec.onError(ctx, false, e);
            }
        }

        @Override
        public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
            Http2DownstreamStream s = streams.remove(streamId);
            if (s != null) {
                log.debug("{}: client {} reset stream {} ({})", frontend.name(), client.remoteAddress(), streamId,
                        errorCode);
                s.clientGone();
            }
        }
    }

    // ---- timeouts ----

    @Override
    public void ensureTimer(long deadline) {
        if (closed || (timer != null && deadline - timerAt >= 0)) {
            return;
        }
        if (timer != null) {
            timer.cancel();
        }
        timerAt = deadline;
        timer = clock.schedule(this::checkTimeouts, deadline - clock.nanoTime());
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        if (ageTimer != null) {
            ageTimer.cancel();
            ageTimer = null;
        }
    }

    private void checkTimeouts() {
        timer = null;
        if (closed) {
            return;
        }
        long now = clock.nanoTime();
        long idle = frontend.clientIdleNanos();
        List<Http2DownstreamStream> live = new ArrayList<>();
        for (Http2DownstreamStream s : snapshot()) {
            if (s.live() && s.exchange() != null) {
                live.add(s);
                idle = Math.min(idle, s.exchange().idleNanos());
            }
        }
        long next = lastActivity + idle;
        for (Http2DownstreamStream s : live) {
            long due = s.exchange().responseDue();
            if (due == 0) {
                continue;
            }
            if (now - due >= 0) {
                s.exchange().responseTimedOut();
            } else if (due - next < 0) {
                next = due;
            }
        }
        if (now - (lastActivity + idle) >= 0) {
            log.debug("{}: closing HTTP/2 connection {} after {} ms without traffic", frontend.name(),
                    client.remoteAddress(), TimeUnit.NANOSECONDS.toMillis(now - lastActivity));
            for (Http2DownstreamStream s : live) {
                s.exchange().idleTimedOut();
            }
            close();
            return;
        }
        ensureTimer(next);
    }
}
