package dev.ferry.proxy.http;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.logging.RateLimitedLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to a server: its channel, its {@link ConnectionLease} and the exchange using it now (none while it
 * waits in the pool). Active in the server's counters while a request is in flight, inactive while idle or connecting.
 *
 * <p>Bytes the server sends after its response ended (the decoder passes them on raw: a body on a 204, 304 or HEAD
 * answer, bytes beyond the Content-Length, anything while idle in the pool) close the connection and are counted
 * ({@link #discard}), so a connection in the pool is always exactly between two messages with nothing unread, and
 * what one server said out of turn never becomes the start of another client's response.
 *
 * <p>It is the HTTP/1 {@link UpstreamStream}: one request at a time, written with the request's own framing (a
 * {@link RequestHead} is copied as received, its body sent chunked or as it is).
 *
 * <p>Threading: confined to its channel's event loop.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter implements UpstreamStream {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);
    private static final RateLimitedLog DISCARDS = new RateLimitedLog(log, java.time.Duration.ofSeconds(10));

    private final Server server;
    private final ConnectionLease lease;
    private final UpstreamPool pool;
    /** When the connection was started, for {@code max_connection_age}. */
    private final long bornAt;
    private Channel channel;
    private ResponseDecoder decoder;
    private UpstreamListener owner;
    private long idleSince;
    private int requests;
    private boolean discarded;
    /** Whether the current request's body goes as chunks: set with each request head. */
    private boolean chunked;
    /** Whether the last final response let the connection carry another request: set with each response head. */
    private boolean responseReusable;

    UpstreamConnection(Server server, UpstreamPool pool, long now) {
        this.server = server;
        this.pool = pool;
        this.bornAt = now;
        this.lease = server.open();
    }

    void bind(Channel channel, ResponseDecoder decoder) {
        this.channel = channel;
        this.decoder = decoder;
        channel.closeFuture().addListener(f -> lease.close());
    }

    @Override
    public Server server() {
        return server;
    }

    Channel channel() {
        return channel;
    }

    /** How many requests this connection carried before the current one (0: a fresh connection). */
    @Override
    public int reuses() {
        return requests - 1;
    }

    long bornAt() {
        return bornAt;
    }

    long idleSince() {
        return idleSince;
    }

    @Override
    public void sendHead(RequestHeaders head) {
        // The decoder learns what the next response answers (a HEAD request's response has no body).
        decoder.expectResponseTo(head.method() == io.netty.handler.codec.http.HttpMethod.HEAD);
        chunked = Http1Encoding.sendsChunked(head);
        responseReusable = false;
        // An HTTP/1 head goes as the bytes it came in, edits spliced in; any other is written field by field.
        ByteBuf out = head instanceof RequestHead h1 ? h1.encode(channel.alloc())
                : Http1Encoding.requestHead(head, channel.alloc());
        channel.write(out, channel.voidPromise());
    }

    @Override
    public void sendData(io.netty.handler.codec.http.HttpContent part, Runnable written) {
        server.addBytesOut(part.content().readableBytes());
        if (written == null) {
            BodyWriter.write(channel, part, chunked);
        } else {
            ChannelPromise promise = channel.newPromise();
            promise.addListener(f -> written.run());
            BodyWriter.write(channel, part, chunked, promise);
        }
    }

    @Override
    public void flush() {
        dev.ferry.transport.LoopFlusher.flushSoon(channel);
    }

    @Override
    public void read() {
        channel.read();
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void release(boolean requestComplete) {
        if (!decoder.endedAtBoundary()) {
            discard("the server sent more bytes than its response held");
        } else if (responseReusable && requestComplete && server.sendProxy().isEmpty()) {
            // A PROXY header speaks for one client, so such connections are never shared.
            pool.release(this);
        } else {
            channel.close();
        }
    }

    @Override
    public void reset() {
        channel.close();
    }

    @Override
    public Channel tunnel() {
        ChannelPipeline p = channel.pipeline();
        p.remove(this);
        p.remove("http");
        return channel;
    }

    /**
     * Closes the connection because the server sent more than its response: it is not at a message boundary and
     * must never be reused. Counted once per connection ({@code FrontendStats#serverConnectionDiscarded}).
     */
    void discard(String why) {
        if (!discarded) {
            discarded = true;
            pool.discarded();
            DISCARDS.warn("{}: closing the connection from {}: {}", server.name(),
                    channel == null ? "?" : channel.localAddress(), why);
        }
        channel.close();
    }

    /**
     * The connect failed: the server's counters let go of it now (when the socket could not even be created, no close
     * will ever come to do it).
     */
    void connectFailed() {
        lease.close();
    }

    /** Hands the connection to an exchange for one request; counted active. */
    void claim(UpstreamListener listener) {
        owner = listener;
        requests++;
        lease.activate();
    }

    /** Back in the pool, no exchange: counted inactive; reading on to notice a close by the server. */
    void idle(long now) {
        owner = null;
        idleSince = now;
        lease.deactivate();
    }

    boolean isIdle() {
        return owner == null;
    }

    @Override
    public boolean isSharable() {
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf extra) {
            // Raw bytes from the decoder: the server said something after its response ended.
            extra.release();
            discard("the server sent bytes after the end of its response");
            return;
        }
        UpstreamListener o = owner;
        if (o != null) {
            if (msg instanceof ResponseHead r && r.code() >= 200) {
                responseReusable = r.connectionReusable() && r.framing() != ResponseHead.Framing.UNTIL_CLOSE;
            }
            o.upstreamRead(this, msg);
            return;
        }
        ReferenceCountUtil.release(msg);
        log.debug("{} sent data on an idle connection; closing it", server.name());
        ctx.close();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener o = owner;
        if (o != null) {
            o.upstreamReadComplete(this);
        } else if (ctx.channel().isActive()) {
            ctx.read();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamListener o = owner;
        if (o != null) {
            o.upstreamWritabilityChanged(this);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener o = owner;
        owner = null;
        pool.remove(this);
        if (o != null) {
            o.upstreamClosed(this);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Not counted here: the exchange learns of it from the close that follows and records the attempt's outcome
        // (Attempt), once.
        log.debug("connection to {} failed: {}", server.name(), cause.toString());
        ctx.close();
    }

    @Override
    public String toString() {
        return server.name() + (channel == null ? "" : " " + channel.localAddress());
    }
}
