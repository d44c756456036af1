package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The HTTP/1 codec's side of one exchange towards the client: frames the response for the client's version
 * ({@link ResponseFraming}: chunked or close-delimited, {@code Connection}), keeps 1xx from HTTP/1.0 clients, holds
 * the response head back so that a small body leaves in the same buffer, encodes Ferry's own answers
 * ({@link ErrorResponses}) and tells the {@link HttpProxyConnection} when the exchange ended, how it closes, and
 * when it becomes a tunnel.
 *
 * <p>One per request, made with its exchange: nothing carries over to the next one. Heads from an HTTP/1 server
 * ({@link ResponseHead}) go out as their own bytes; heads from an HTTP/2 server ({@link Http2ResponseHead}) are
 * rebuilt as HTTP/1.1 first and then framed the same way.
 *
 * <p>Threading: the client connection's event loop.
 */
final class Http1DownstreamStream implements DownstreamStream {
    /** Bodies up to this size leave in the same buffer as their response head. */
    private static final int SMALL_BODY = 1024;
    /** The most a head from an HTTP/2 server may take as HTTP/1 (its size was bounded by the HTTP/2 codec already). */
    private static final int H2_HEAD_LIMIT = 1 << 20;

    private final HttpProxyConnection connection;
    private final Channel client;
    private final boolean client10;
    private final boolean keepAlive;
    /** Whether the response body goes to the client as chunks (see {@link ResponseFraming#chunkedToClient}). */
    private boolean chunked;
    /**
     * The response head, held back until the first body part: a small body is copied behind it, so head and body
     * leave in one buffer (one send, not a writev of two).
     */
    private ByteBuf held;

    Http1DownstreamStream(HttpProxyConnection connection, RequestHead request) {
        this.connection = connection;
        this.client = connection.client();
        this.client10 = request != null && request.version().minorVersion() == 0;
        this.keepAlive = request != null && request.isKeepAlive();
    }

    @Override
    public boolean clientKeepsConnection() {
        return keepAlive;
    }

    @Override
    public void sendInformational(ResponseHeaders head) {
        // Never to an HTTP/1.0 client, which cannot read them (RFC 9110 15.2); the final response follows.
        if (!client10) {
            connection.toClient(h1(head).encode(client.alloc(), 0));
        }
    }

    @Override
    public void sendSwitchingProtocols(ResponseHeaders head) {
        connection.toClient(h1(head).encode(client.alloc(), 0));
    }

    @Override
    public boolean sendHead(ResponseHeaders head, boolean keepAlive) {
        ResponseHead response = h1(head);
        boolean close = ResponseFraming.prepare(response, client10, this.keepAlive && keepAlive);
        chunked = ResponseFraming.chunkedToClient(response, client10);
        held = response.encode(client.alloc(), response.framing() == ResponseHead.Framing.LENGTH
                && response.contentLength() <= SMALL_BODY ? (int) response.contentLength() : 0);
        return close;
    }

    private static ResponseHead h1(ResponseHeaders head) {
        if (head instanceof ResponseHead h1) {
            return h1;
        }
        if (head instanceof Http2ResponseHead h2) {
            // From an HTTP/2 server: rebuilt as HTTP/1.1 and framed as any HTTP/1 response.
            return h2.toHttp1(H2_HEAD_LIMIT, H2_HEAD_LIMIT);
        }
        throw new IllegalArgumentException("no HTTP/1 encoding for a " + head.getClass().getSimpleName());
    }

    @Override
    public void sendData(HttpContent part) {
        ByteBuf head = held;
        int bytes = part.content().readableBytes();
        if (head != null && !chunked && bytes <= head.writableBytes()) {
            held = null;
            head.writeBytes(part.content());
            part.release();
            connection.toClient(head);
        } else {
            writeHeld();
            connection.bodyToClient(part, chunked);
        }
    }

    @Override
    public void sendTrailers(LastHttpContent last) {
        sendData(last);
        connection.flushClientSoon();
    }

    private void writeHeld() {
        ByteBuf head = held;
        if (head != null) {
            held = null;
            connection.toClient(head);
        }
    }

    @Override
    public void sendLocalReply(HttpResponseStatus status, String detail, boolean close, boolean lingerable,
                               String requestId, boolean headRequest, boolean grpc, long retryAfterSeconds) {
        release();
        ByteBuf r = grpc ? GrpcReplies.http1(client.alloc(), status, detail, close, requestId)
                : ErrorResponses.of(client.alloc(), status, detail, close, requestId, headRequest, retryAfterSeconds);
        if (close) {
            connection.closeWithResponse(r, lingerable, connection.clientMaySend());
        } else {
            connection.toClient(r);
            client.flush();
        }
    }

    @Override
    public void end(boolean close) {
        if (close || !client.isActive()) {
            connection.closeAfterResponse(Unpooled.EMPTY_BUFFER, connection.clientMaySend());
        } else {
            connection.exchangeDone();
        }
    }

    @Override
    public void endAbruptly() {
        writeHeld();
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        connection.closed();
    }

    @Override
    public void reset() {
        client.close();
    }

    @Override
    public void flush() {
        writeHeld();
        connection.flushClientSoon();
    }

    @Override
    public boolean isWritable() {
        return client.isWritable();
    }

    @Override
    public void resumeReading() {
        connection.drive();
        connection.readClientIfReady();
    }

    @Override
    public void switchToTunnel(UpstreamStream upstream, long idleNanos) {
        connection.switchToTunnel(upstream.tunnel(), idleNanos);
    }

    @Override
    public void release() {
        if (held != null) {
            held.release();
            held = null;
        }
    }
}
