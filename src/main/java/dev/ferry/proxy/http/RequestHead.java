package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * A request head as {@link HeadParser} read it: method, target, version and fields, plus how its body is framed.
 * It goes to the server as received except for the edits made to its {@link #fields()} and the version, which is
 * always sent as HTTP/1.1.
 *
 * <p>Threading: belongs to one request on one event loop.
 */
final class RequestHead implements RequestHeaders {
    private static final byte[] HTTP_1_1_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);

    private final byte[] bytes;
    private final int targetStart;
    private final int targetEnd;
    private final HttpMethod method;
    private final String uri;
    /** The target a route's path rewrite sends instead, or null. */
    private String rewrittenUri;
    private final HttpVersion version;
    private final HeadFields fields;
    private final long contentLength;
    private final boolean chunked;

    RequestHead(byte[] bytes, HttpMethod method, int targetStart, int targetEnd, HttpVersion version,
                HeadFields fields, long contentLength, boolean chunked) {
        this.bytes = bytes;
        this.method = method;
        this.targetStart = targetStart;
        this.targetEnd = targetEnd;
        this.uri = new String(bytes, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
        this.version = version;
        this.fields = fields;
        this.contentLength = contentLength;
        this.chunked = chunked;
    }

    @Override
    public HttpMethod method() {
        return method;
    }

    /** The request target as sent (origin form, or absolute form through a forward proxy). */
    @Override
    public String uri() {
        return uri;
    }

    @Override
    public String forwardedUri() {
        return rewrittenUri != null ? rewrittenUri : uri;
    }

    @Override
    public void rewriteUri(String uri) {
        rewrittenUri = uri;
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
    public HeadFields fields() {
        return fields;
    }

    /** The Content-Length (0 when absent); meaningless for a chunked request. */
    long contentLength() {
        return contentLength;
    }

    boolean isChunked() {
        return chunked;
    }

    /** Whether a body follows (chunked, or a non-zero Content-Length). */
    @Override
    public boolean declaresBody() {
        return chunked || contentLength > 0;
    }

    /** Whether the request asks to switch protocols ({@code Upgrade} with {@code Connection: upgrade}, e.g. WebSocket). */
    @Override
    public boolean asksUpgrade() {
        return fields.contains("upgrade") && fields.listHas("connection", "upgrade");
    }

    /** Whether the client keeps the connection after this request (RFC 9112 9.3). */
    boolean isKeepAlive() {
        return fields.keepAlive(version);
    }

    /** The head as it goes to a server: the request line (as HTTP/1.1), the fields, the empty line. */
    ByteBuf encode(ByteBufAllocator alloc) {
        if (rewrittenUri != null) {
            return encodeRewritten(alloc);
        }
        ByteBuf out = HeadBuffers.get(alloc, targetEnd + HTTP_1_1_CRLF.length + fields.sizeEstimate() + 2);
        out.writeBytes(bytes, 0, targetEnd);
        out.writeBytes(HTTP_1_1_CRLF);
        fields.writeTo(out);
        out.writeShort(0x0d0a);
        return out;
    }

    /** The head with a request line of its own: the method, the rewritten target, HTTP/1.1. */
    private ByteBuf encodeRewritten(ByteBufAllocator alloc) {
        String method = this.method.name();
        ByteBuf out = HeadBuffers.get(alloc, method.length() + 1 + rewrittenUri.length() + HTTP_1_1_CRLF.length
                + fields.sizeEstimate() + 2);
        out.writeCharSequence(method, StandardCharsets.US_ASCII);
        out.writeByte(' ');
        out.writeCharSequence(rewrittenUri, StandardCharsets.ISO_8859_1);
        out.writeBytes(HTTP_1_1_CRLF);
        fields.writeTo(out);
        out.writeShort(0x0d0a);
        return out;
    }

    @Override
    public String toString() {
        return method + " " + uri + " " + version;
    }
}
