package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2Headers;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A response head that came from an HTTP/2 server as a header block: {@code :status} and the fields, in order.
 * Towards an HTTP/2 client it is written field by field ({@link Http2ResponseEncoding}); towards an HTTP/1 client it
 * becomes an HTTP/1.1 head ({@link #toHttp1}), read back by the same strict parser as a head from an HTTP/1 server,
 * so no field that HTTP/1 could misread (RFC 9113 8.2.1 forbids CR, LF and NUL in values; Netty checks the names)
 * ever reaches an HTTP/1 client, and the body is framed there as for any HTTP/1 response.
 *
 * <p>Threading: belongs to one response on one event loop.
 */
final class Http2ResponseHead implements ResponseHeaders {
    private final int code;
    private final FieldList fields;
    private final boolean headRequest;
    private final boolean endStream;

    private Http2ResponseHead(int code, FieldList fields, boolean headRequest, boolean endStream) {
        this.code = code;
        this.fields = fields;
        this.headRequest = headRequest;
        this.endStream = endStream;
    }

    /**
     * The head of {@code headers}, or null when it is malformed: no or a bad {@code :status}, another pseudo-header,
     * a field value HTTP/1 could not carry, a connection-specific field (RFC 9113 8.2.2).
     *
     * @param headRequest whether it answers a HEAD request (no body, whatever it says)
     * @param endStream   whether the header block ended the stream (no body follows)
     */
    static Http2ResponseHead of(Http2Headers headers, boolean headRequest, boolean endStream) {
        CharSequence status = headers.status();
        if (status == null || status.length() != 3) {
            return null;
        }
        int code = 0;
        for (int i = 0; i < 3; i++) {
            char c = status.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            code = code * 10 + (c - '0');
        }
        if (code < 100) {
            return null;
        }
        FieldList fields = new FieldList(headers.size());
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            CharSequence name = field.getKey();
            if (name.isEmpty()) {
                return null;
            }
            if (name.charAt(0) == ':') {
                if (!":status".contentEquals(name)) {
                    return null;
                }
                continue;
            }
            String value = field.getValue().toString();
            if (!isCarriable(value) || isConnectionSpecific(name)) {
                return null;
            }
            fields.add(name.toString(), value);
        }
        return new Http2ResponseHead(code, fields, headRequest, endStream);
    }

    /** No CR, LF or NUL, no leading or trailing white space (RFC 9113 8.2.1). */
    private static boolean isCarriable(String value) {
        int n = value.length();
        if (n > 0 && (isWhite(value.charAt(0)) || isWhite(value.charAt(n - 1)))) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 0xff) {
                return false;
            }
        }
        return true;
    }

    private static boolean isWhite(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isConnectionSpecific(CharSequence name) {
        return "connection".contentEquals(name) || "keep-alive".contentEquals(name)
                || "proxy-connection".contentEquals(name) || "transfer-encoding".contentEquals(name)
                || "upgrade".contentEquals(name);
    }

    @Override
    public int code() {
        return code;
    }

    @Override
    public String protocolVersion() {
        return "2";
    }

    @Override
    public FieldList fields() {
        return fields;
    }

    /** Nothing to remove: HTTP/2 carries no connection-specific fields ({@link #of} refused them). */
    @Override
    public void removeConnectionFields(boolean keepUpgrade) {
    }

    /**
     * The same head as HTTP/1.1, parsed as a head from an HTTP/1 server would be. A response that ended with its
     * head and says no length gets {@code content-length: 0}, so it is not taken as delimited by the close.
     *
     * @throws IllegalStateException when the HTTP/1 parser refuses it (which {@link #of} should have prevented)
     */
    ResponseHead toHttp1(int maxLine, int maxFields) {
        if (endStream && code >= 200 && code != 204 && code != 304 && !fields.contains("content-length")) {
            fields.add("content-length", "0");
        }
        StringBuilder b = new StringBuilder(256).append("HTTP/1.1 ").append(code).append(' ')
                .append(HttpResponseStatus.valueOf(code).reasonPhrase()).append("\r\n");
        fields.forEach((name, value) -> b.append(name).append(": ").append(value).append("\r\n"));
        b.append("\r\n");
        ByteBuf bytes = Unpooled.wrappedBuffer(b.toString().getBytes(StandardCharsets.ISO_8859_1));
        try {
            ResponseHead h1 = HeadParser.response(bytes, Math.max(maxLine, b.length()), Math.max(maxFields,
                    b.length()), headRequest);
            if (h1 == null) {
                throw new IllegalStateException("incomplete HTTP/1 form of an HTTP/2 response head");
            }
            return h1;
        } catch (HeadParser.BadMessage e) {
            throw new IllegalStateException("an HTTP/2 response head HTTP/1 cannot carry: " + e.getMessage(), e);
        } finally {
            bytes.release();
        }
    }

    @Override
    public String toString() {
        return "HTTP/2 " + code;
    }
}
