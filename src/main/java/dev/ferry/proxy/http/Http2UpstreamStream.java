package dev.ferry.proxy.http;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Headers;

import java.util.Locale;
import java.util.Map;

/**
 * One request on an HTTP/2 connection to a server ({@link Http2UpstreamConnection}): the {@link UpstreamStream} an
 * {@link Attempt} uses when the server speaks h2c. The request head goes as a HEADERS frame
 * ({@link Http2RequestEncoding}; with END_STREAM when no body follows), body parts as DATA frames, trailers as a
 * closing HEADERS frame; the response comes back as the same parts an HTTP/1 server's would ({@link Http2ResponseHead},
 * {@code HttpContent}, a {@code LastHttpContent} with the trailers), so the exchange does not know the difference.
 *
 * <p>Counting: each stream holds a {@link ConnectionLease} of its own, inactive while its connection is being made,
 * active from the moment it is handed to an attempt until it ends: a server's active count is its open streams.
 *
 * <p>Flow control: the bytes of the response are given back to the server's windows when the exchange asks for more
 * ({@link #read()}, which it does only while the client takes more), so a slow client shuts the server's window for
 * this stream alone and the connection's other streams carry on.
 *
 * <p>Threading: the event loop of its connection, which is the client's.
 */
final class Http2UpstreamStream implements UpstreamStream {
    private final Http2UpstreamConnection connection;
    private final Server server;
    private final ConnectionLease lease;
    private final int reuses;
    private UpstreamListener owner;
    /** The HTTP/2 stream id once the head went; -1 before. */
    private int id = -1;
    private boolean headRequest;
    private boolean requestEnded;
    private boolean finalHead;
    private boolean responseEnded;
    private boolean done;
    /** The server refused the stream or went away before it (RST_STREAM REFUSED_STREAM, above GOAWAY's last id). */
    private boolean refused;
    /** Response bytes passed on and not yet given back to the server's windows. */
    private int unconsumed;

    Http2UpstreamStream(Http2UpstreamConnection connection, int reuses) {
        this.connection = connection;
        this.server = connection.server();
        this.reuses = reuses;
        this.lease = server.open();
    }

    @Override
    public Server server() {
        return server;
    }

    @Override
    public int reuses() {
        return reuses;
    }

    int id() {
        return id;
    }

    /** Handed to {@code listener}: counted active. */
    void claim(UpstreamListener listener) {
        owner = listener;
        lease.activate();
    }

    boolean isDone() {
        return done;
    }

    // ---- the request ----

    @Override
    public void sendHead(RequestHeaders head) {
        headRequest = head.method() == HttpMethod.HEAD;
        boolean endStream = !head.declaresBody();
        // Set before the frame goes: writing it may open the server's window and have the exchange send body parts
        // from within the write.
        requestEnded = endStream;
        connection.startStream(this, Http2RequestEncoding.head(head, connection.scheme()), endStream);
    }

    /** The stream's id, known before its HEADERS frame is written. */
    void started(int streamId) {
        id = streamId;
    }

    @Override
    public void sendData(HttpContent part, Runnable written) {
        if (requestEnded || done || id < 0) {
            // A request without a body ended with its head; its (empty) end part has nothing to add.
            part.release();
            if (written != null) {
                written.run();
            }
            return;
        }
        ByteBuf data = part.content();
        server.addBytesOut(data.readableBytes());
        boolean last = part instanceof LastHttpContent;
        HttpHeaders trailers = last ? ((LastHttpContent) part).trailingHeaders() : null;
        boolean withTrailers = trailers != null && !trailers.isEmpty();
        requestEnded = last;
        connection.writeData(this, data.retain(), last && !withTrailers, written);
        if (withTrailers) {
            connection.writeTrailers(this, Http2ResponseEncoding.trailers(trailers));
        }
        part.release();
    }

    @Override
    public void flush() {
        connection.flushSoon();
    }

    /** The exchange takes more of the response: what it was given goes back to the server's windows. */
    @Override
    public void read() {
        int n = unconsumed;
        if (n > 0 && !done) {
            unconsumed = 0;
            connection.consumed(this, n);
        }
    }

    @Override
    public boolean isWritable() {
        return !done && connection.isWritable(this);
    }

    // ---- letting go ----

    /** A stream whose request or response did not end (the server answered early) is cancelled (RST_STREAM). */
    @Override
    public void release(boolean requestComplete) {
        finish();
    }

    @Override
    public void reset() {
        finish();
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        owner = null;
        lease.close();
        connection.streamDone(this, !(responseEnded && requestEnded));
    }

    /** HTTP/2 has no upgrades (RFC 9113 8.6): no exchange asks for a tunnel on an HTTP/2 stream. */
    @Override
    public Channel tunnel() {
        throw new UnsupportedOperationException("an HTTP/2 stream cannot become a tunnel");
    }

    // ---- what the connection reports ----

    /** A header block of the response: a 1xx, the final head, or trailers. */
    void headersRead(Http2Headers headers, boolean endStream) {
        UpstreamListener o = owner;
        if (o == null) {
            return;
        }
        if (finalHead) {
            if (!endStream) {
                failed("a header block after the response head that does not end the stream");
                return;
            }
            responseEnded = true;
            o.upstreamRead(this, trailers(headers));
            return;
        }
        Http2ResponseHead head = Http2ResponseHead.of(headers, headRequest, endStream);
        if (head == null) {
            failed("a malformed response head");
            return;
        }
        boolean informational = head.code() < 200;
        if (informational && endStream) {
            failed("a 1xx response that ends the stream");
            return;
        }
        finalHead = !informational;
        o.upstreamRead(this, head);
        if (informational || endStream) {
            responseEnded = endStream;
            // The exchange takes the end of a 1xx, and of a response without a body, as an empty last part.
            UpstreamListener still = owner;
            if (still != null) {
                still.upstreamRead(this, LastHttpContent.EMPTY_LAST_CONTENT);
            }
        }
    }

    /** A DATA frame of the response (owned from here); false when nobody takes it (its bytes go straight back). */
    boolean dataRead(ByteBuf data, boolean endStream) {
        UpstreamListener o = owner;
        if (o == null || !finalHead) {
            data.release();
            if (o != null) {
                failed("DATA before the response head");
            }
            return false;
        }
        unconsumed += data.readableBytes();
        if (endStream) {
            responseEnded = true;
        }
        o.upstreamRead(this, endStream ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data));
        return true;
    }

    /** The end of one socket read that brought this stream something. */
    void readComplete() {
        UpstreamListener o = owner;
        if (o != null) {
            o.upstreamReadComplete(this);
        }
    }

    void writabilityChanged() {
        UpstreamListener o = owner;
        if (o != null) {
            o.upstreamWritabilityChanged(this);
        }
    }

    /** The server refused the stream (nothing of it was processed): safe to send anywhere again. */
    void markRefused() {
        refused = true;
    }

    /**
     * The stream ended without the exchange letting go of it: reset by the server, refused, or its connection
     * closed. The exchange hears of it as a refusal or a close.
     *
     * @return false when the exchange had let go of it already (nothing happened here)
     */
    boolean closedUnderneath() {
        UpstreamListener o = owner;
        if (done) {
            return false;
        }
        done = true;
        owner = null;
        lease.close();
        if (o != null) {
            if (refused) {
                o.upstreamRefused(this);
            } else {
                o.upstreamClosed(this);
            }
        }
        return true;
    }

    /** The connection this stream waited for could not be made: the lease goes, nothing else was started. */
    void connectFailed() {
        done = true;
        lease.close();
    }

    private void failed(String why) {
        UpstreamListener o = owner;
        if (o != null) {
            o.upstreamRead(this, new DecodeFailure(io.netty.handler.codec.http.HttpResponseStatus.BAD_GATEWAY,
                    "the HTTP/2 server sent " + why));
        }
        reset();
    }

    /** The trailer fields of the response, but the pseudo-headers and those a trailer may not carry. */
    private static LastHttpContent trailers(Http2Headers headers) {
        LastHttpContent last = new DefaultLastHttpContent();
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            String name = field.getKey().toString();
            if (name.isEmpty() || name.charAt(0) == ':' || TrailerFields.isForbidden(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            last.trailingHeaders().add(name, field.getValue().toString());
        }
        return last;
    }

    @Override
    public String toString() {
        return server.name() + " stream " + id;
    }
}
