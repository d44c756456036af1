package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * A response head as {@link HeadParser} read it: status line, fields, and how its body is framed. It goes to the
 * client with the status line as received but for the version (always {@code HTTP/1.1}) and the edits made to its
 * {@link #fields()}.
 *
 * <p>Threading: belongs to one response on one event loop.
 */
final class ResponseHead implements ResponseHeaders {
    /** How the body of a message is delimited (RFC 9112 6.3). */
    enum Framing {
        /** No body at all (HEAD, 1xx, 204, 304, or a zero Content-Length). */
        NONE,
        /** Content-Length bytes. */
        LENGTH,
        CHUNKED,
        /** Everything until the server closes the connection. */
        UNTIL_CLOSE
    }

    private static final byte[] HTTP_11 = "HTTP/1.1".getBytes(StandardCharsets.US_ASCII);

    private final byte[] bytes;
    private final int statusLineEnd;
    private final HttpVersion version;
    private final int code;
    private final HeadFields fields;
    private final Framing framing;
    private final long contentLength;
    private final boolean faultyFraming;

    ResponseHead(byte[] bytes, int statusLineEnd, HttpVersion version, int code, HeadFields fields, Framing framing,
                 long contentLength) {
        this(bytes, statusLineEnd, version, code, fields, framing, contentLength, false);
    }

    /**
     * @param faultyFraming the head said its framing in a way that must not be trusted for what follows it: both
     *                      Transfer-Encoding and Content-Length, or Transfer-Encoding in an HTTP/1.0 response
     *                      (RFC 9112 6.1, 6.3)
     */
    ResponseHead(byte[] bytes, int statusLineEnd, HttpVersion version, int code, HeadFields fields, Framing framing,
                 long contentLength, boolean faultyFraming) {
        this.faultyFraming = faultyFraming;
        this.bytes = bytes;
        this.statusLineEnd = statusLineEnd;
        this.version = version;
        this.code = code;
        this.fields = fields;
        this.framing = framing;
        this.contentLength = contentLength;
    }

    HttpVersion version() {
        return version;
    }

    @Override
    public String protocolVersion() {
        return version == HttpVersion.HTTP_1_0 ? "1.0" : "1.1";
    }

    @Override
    public void removeConnectionFields(boolean keepUpgrade) {
        HopByHopHeaders.strip(fields, keepUpgrade);
    }

    @Override
    public int code() {
        return code;
    }

    @Override
    public HeadFields fields() {
        return fields;
    }

    Framing framing() {
        return framing;
    }

    long contentLength() {
        return contentLength;
    }

    /** Whether the server keeps the connection after this response (RFC 9112 9.3). */
    boolean isKeepAlive() {
        return fields.keepAlive(version);
    }

    /**
     * Whether the server connection may carry another request after this response: the server keeps it, and the
     * framing was stated unambiguously (after both Transfer-Encoding and Content-Length, or Transfer-Encoding from an
     * HTTP/1.0 server, where this message ends is a guess: the connection closes, as RFC 9112 6.1 and 6.3 ask).
     */
    boolean connectionReusable() {
        return !faultyFraming && isKeepAlive();
    }

    /**
     * The head as it goes to the client: the status line in Ferry's own version, {@code HTTP/1.1} (a proxy speaks its
     * own version on each hop, RFC 9110 6.2: the server's could be HTTP/1.0, or nonsense such as HTTP/2.0 on an
     * HTTP/1 connection), then the status code and reason as received, the fields, the empty line.
     *
     * @param room bytes to leave free behind the head (for a small body to follow in the same buffer)
     */
    ByteBuf encode(ByteBufAllocator alloc, int room) {
        ByteBuf out = HeadBuffers.get(alloc, statusLineEnd + fields.sizeEstimate() + 2 + room);
        // The parser accepted only "HTTP/d.d" as the first 8 bytes.
        out.writeBytes(HTTP_11);
        out.writeBytes(bytes, HTTP_11.length, statusLineEnd - HTTP_11.length);
        fields.writeTo(out);
        out.writeShort(0x0d0a);
        return out;
    }

    @Override
    public String toString() {
        return version + " " + code;
    }
}
