package dev.ferry.proxy.http;

import dev.ferry.backend.Server;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;

/**
 * One request's way to a server, as an {@link Attempt} uses it: handed out by the pool ({@link UpstreamPool}) and
 * reporting back to its {@link UpstreamListener}. The HTTP/1 implementation is {@link UpstreamConnection}: one
 * stream per connection at a time, the connection kept for the next request when both messages ended cleanly; an
 * HTTP/2 pool would hand out streams of a shared connection.
 *
 * <p>Buffers passed in are owned by the stream from then on. Threading: the event loop of the client connection,
 * which is also the stream's.
 */
interface UpstreamStream {
    Server server();

    /** How many requests the connection carried before this one (0: a fresh connection). */
    int reuses();

    /** Writes the request head (not flushed), framed for the protocol; HTTP/1 to HTTP/1 copies its bytes once. */
    void sendHead(RequestHeaders head);

    /** Writes one part of the request body (not flushed); the last one ({@code LastHttpContent}) ends it. */
    default void sendData(HttpContent part) {
        sendData(part, null);
    }

    /**
     * Writes one part of the request body (not flushed), as {@link #sendData(HttpContent)}; {@code written} (when not
     * null) runs on the event loop once the part's bytes went to the server's socket, or could not (the connection
     * failed): the moment an HTTP/2 client's flow-control window may open for them again.
     */
    void sendData(HttpContent part, Runnable written);

    /** Flushes what was written, soon (once per event-loop turn). */
    void flush();

    /** Reads the next chunk of the response. */
    void read();

    /** Whether more of the request may be written now. */
    boolean isWritable();

    /**
     * The exchange on this stream is complete: the connection is kept for another request when it is exactly
     * between two messages, the last response allowed it and {@code requestComplete}; otherwise it closes.
     */
    void release(boolean requestComplete);

    /** Abandons the stream, which may be inside a message: its connection closes, never to be reused. */
    void reset();

    /** After a 101: takes the protocol's handlers off the connection and gives its channel to the tunnel. */
    Channel tunnel();
}
