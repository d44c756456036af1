package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;

import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP/2 codec's side of one exchange towards the client: one per stream ({@link Http2ProxyConnection} hands
 * them out). The response goes out as a HEADERS frame (held back until the first body part, so a response without a
 * body is one HEADERS frame with END_STREAM), DATA frames, and trailers as a last HEADERS frame; Ferry's own answers
 * as HEADERS and one DATA frame (to a gRPC request: one HEADERS frame, trailers-only, {@link GrpcReplies}). A
 * response that breaks off, or a stream the exchange gives up, is reset (RST_STREAM INTERNAL_ERROR); a response that
 * is complete while the client is still sending the request ends with RST_STREAM NO_ERROR (RFC 9113 8.1), which asks
 * the client to stop sending without failing the response.
 *
 * <p>Request body: DATA frames wait here until the exchange takes them ({@link Exchange#takesBody()}, and no more
 * after one it could not write on at once); each part's bytes go back to the client's flow-control window only once
 * they were written to the server's socket ({@link Exchange#requestBody(HttpContent, Runnable)}), so what waits here
 * is bounded by the stream's window and a slow server slows the client, not Ferry's memory.
 *
 * <p>Response body: {@link #isWritable()} is false while the stream's send window or the client connection is full;
 * the exchange stops reading the server then, and {@link Http2ProxyConnection} tells it when the stream can take
 * more ({@link Exchange#clientWritable()}).
 *
 * <p>HTTP/2 has no protocol upgrades (RFC 9113 8.6): {@link Http2RequestHead} never asks for one, so the exchange
 * never calls {@link #sendSwitchingProtocols} or {@link #switchToTunnel} here.
 *
 * <p>Buffers passed in are owned from then on. Threading: the client connection's event loop.
 */
final class Http2DownstreamStream implements DownstreamStream {
    private final Http2ProxyConnection connection;
    private final Http2Stream stream;
    private Exchange exchange;
    /** Request body parts (the last one a {@link LastHttpContent}) the exchange has not taken yet. */
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>(2);
    /** The write of the response's last frame (END_STREAM), once made; null before or on a closed connection. */
    private ChannelFuture responseWritten;
    /** The final response head, until the first body part or flush. */
    private Http2Headers held;
    private boolean headSent;
    /** The client's END_STREAM arrived. */
    private boolean requestEnded;
    /** Ferry's END_STREAM (or a reset) went out: the stream closing now is no sign the client went away. */
    private boolean responseEnded;
    /** The exchange is done with this stream. */
    private boolean finished;

    Http2DownstreamStream(Http2ProxyConnection connection, Http2Stream stream) {
        this.connection = connection;
        this.stream = stream;
    }

    void exchange(Exchange exchange) {
        this.exchange = exchange;
    }

    Exchange exchange() {
        return exchange;
    }

    int id() {
        return stream.id();
    }

    /** Whether the exchange on this stream is still under way (its response not ended). */
    boolean live() {
        return !finished && !responseEnded;
    }

    // ---- the request, from the connection ----

    /** The header block ended the stream: the request has no body. */
    void requestWithoutBody() {
        requestEnded = true;
        pending.add(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** A DATA frame's bytes (owned from here). */
    void dataRead(ByteBuf data, boolean endOfStream) {
        if (finished) {
            connection.consumed(stream, data.readableBytes());
            data.release();
            return;
        }
        requestEnded |= endOfStream;
        pending.add(endOfStream ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data));
        drive();
    }

    /** The request's trailer fields (a HEADERS frame with END_STREAM after the body). */
    void trailersRead(Http2Headers trailers) {
        requestEnded = true;
        if (finished) {
            return;
        }
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        HttpHeaders out = last.trailingHeaders();
        for (Map.Entry<CharSequence, CharSequence> field : trailers) {
            String name = field.getKey().toString();
            if (!name.startsWith(":") && !TrailerFields.isForbidden(name.toLowerCase(Locale.ROOT))) {
                out.add(name, field.getValue().toString());
            }
        }
        pending.add(last);
        drive();
    }

    /** Hands the exchange the body parts it takes now. */
    void drive() {
        Exchange e = exchange;
        while (e != null && !finished && e.takesBody()) {
            HttpContent part = pending.poll();
            if (part == null) {
                return;
            }
            int bytes = part.content().readableBytes();
            if (!e.requestBody(part, bytes == 0 ? null : () -> connection.consumed(stream, bytes))) {
                return;
            }
        }
    }

    /** The stream closed without Ferry ending it (the client reset it, or the connection went): nobody is there. */
    void clientGone() {
        boolean abandoned = !finished && !responseEnded;
        finished = true;
        responseEnded = true;
        Exchange e = exchange;
        if (abandoned && e != null) {
            e.clientClosed();
        }
        release();
    }

    // ---- the response, from the exchange ----

    @Override
    public boolean clientKeepsConnection() {
        // A stream ends on its own; the connection carries the others whatever happens to this one.
        return true;
    }

    @Override
    public void sendInformational(ResponseHeaders head) {
        if (!headSent && held == null) {
            connection.writeHeaders(stream, Http2ResponseEncoding.head(head), false);
        }
    }

    @Override
    public void sendSwitchingProtocols(ResponseHeaders head) {
        throw new IllegalStateException("HTTP/2 has no protocol upgrades");
    }

    @Override
    public boolean sendHead(ResponseHeaders head, boolean keepAlive) {
        held = Http2ResponseEncoding.head(head);
        // The connection never closes for one response; a request still being sent is reset after it (end).
        return false;
    }

    @Override
    public void sendData(HttpContent part) {
        writeHeld();
        ByteBuf data = part.content();
        if (data.isReadable() && !responseEnded) {
            connection.writeData(stream, data, false);
        } else {
            data.release();
        }
    }

    @Override
    public void sendTrailers(LastHttpContent last) {
        if (responseEnded) {
            last.release();
            return;
        }
        HttpHeaders trailers = last.trailingHeaders();
        ByteBuf data = last.content();
        responseEnded = true;
        if (!trailers.isEmpty()) {
            writeHeld();
            if (data.isReadable()) {
                connection.writeData(stream, data, false);
            } else {
                data.release();
            }
            responseWritten = connection.writeHeaders(stream, Http2ResponseEncoding.trailers(trailers), true);
        } else if (held != null && !data.isReadable()) {
            data.release();
            Http2Headers head = held;
            held = null;
            headSent = true;
            responseWritten = connection.writeHeaders(stream, head, true);
        } else {
            writeHeld();
            responseWritten = connection.writeData(stream, data, true);
        }
        connection.flushSoon();
    }

    private void writeHeld() {
        Http2Headers head = held;
        if (head != null) {
            held = null;
            headSent = true;
            connection.writeHeaders(stream, head, false);
        }
    }

    @Override
    public void sendLocalReply(HttpResponseStatus status, String detail, boolean close, boolean lingerable,
                               String requestId, boolean headRequest, boolean grpc, long retryAfterSeconds) {
        if (headSent || responseEnded) {
            // Nothing sensible can follow a head already sent: the client learns the response broke off.
            reset();
            return;
        }
        held = null;
        responseEnded = true;
        headSent = true;
        if (grpc) {
            responseWritten = connection.writeHeaders(stream, GrpcReplies.trailersOnly(status, detail, requestId),
                    true);
        } else {
            byte[] text = ErrorResponses.text(status, detail);
            Http2Headers head = Http2ResponseEncoding.localReply(status, text.length, requestId);
            if (retryAfterSeconds > 0) {
                head.addLong("retry-after", retryAfterSeconds);
            }
            responseWritten = connection.writeHeaders(stream, head, headRequest);
            if (!headRequest) {
                responseWritten = connection.writeData(stream, Unpooled.wrappedBuffer(text), true);
            }
        }
        connection.flushSoon();
        if (close) {
            // The exchange is over (it calls no end()): the unread rest of the request is refused, not read.
            finish();
        }
    }

    @Override
    public void end(boolean close) {
        finish();
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (!requestEnded) {
            // RFC 9113 8.1: the rest of the request is refused without error, once the whole response went (the
            // flow controller may still hold its last frames, which a reset now would throw away).
            ChannelFuture written = responseWritten;
            if (written == null || written.isDone()) {
                connection.resetStream(stream, Http2Error.NO_ERROR);
            } else {
                written.addListener(f -> connection.resetStream(stream, Http2Error.NO_ERROR));
            }
        }
        release();
        connection.streamDone(this);
    }

    @Override
    public void endAbruptly() {
        reset();
    }

    @Override
    public void reset() {
        held = null;
        responseEnded = true;
        if (!finished) {
            connection.resetStream(stream, Http2Error.INTERNAL_ERROR);
            requestEnded = true;
            finish();
        }
    }

    @Override
    public void flush() {
        writeHeld();
        connection.flushSoon();
    }

    @Override
    public boolean isWritable() {
        return !responseEnded && connection.isWritable(stream);
    }

    @Override
    public void resumeReading() {
        drive();
    }

    @Override
    public void switchToTunnel(UpstreamStream upstream, long idleNanos) {
        throw new IllegalStateException("HTTP/2 has no protocol upgrades");
    }

    /** Lets go of the request body parts not taken, giving their bytes back to the client's window. */
    @Override
    public void release() {
        for (HttpContent part; (part = pending.poll()) != null; ) {
            connection.consumed(stream, part.content().readableBytes());
            part.release();
        }
    }
}
