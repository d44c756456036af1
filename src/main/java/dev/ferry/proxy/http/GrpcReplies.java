package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;

import java.nio.charset.StandardCharsets;

/**
 * Ferry's own answers to a gRPC request ({@link GrpcRequest}), gRPC-shaped instead of a bare 4xx/5xx with text (which
 * a gRPC client can only report as {@code UNKNOWN} or {@code INTERNAL}, linkerd2#3493): a trailers-only response,
 * HTTP 200, {@code content-type: application/grpc}, {@code grpc-status} ({@link GrpcStatus}) and {@code grpc-message}
 * ({@code ferry: } and the detail an HTTP client would read, percent-encoded as the gRPC spec says). On HTTP/2 one
 * HEADERS frame with END_STREAM; on HTTP/1 the same fields in a head with {@code content-length: 0} (which is what
 * trailers-only looks like there). {@code x-request-id} is echoed as on every answer of Ferry's.
 *
 * <p>Threading: stateless; the buffers are new, for the caller's event loop.
 */
final class GrpcReplies {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private GrpcReplies() {
    }

    /** The {@code grpc-message} of Ferry's answer with {@code detail}, not yet percent-encoded. */
    static String message(String detail) {
        return "ferry: " + detail;
    }

    /** The one header block of a trailers-only answer on HTTP/2 (to go with END_STREAM). */
    static Http2Headers trailersOnly(HttpResponseStatus status, String detail, String requestId) {
        Http2Headers out = new DefaultHttp2Headers(false)
                .status(HttpResponseStatus.OK.codeAsText())
                .add("content-type", "application/grpc")
                .addInt("grpc-status", GrpcStatus.ofLocalReply(status.code()))
                .add("grpc-message", percentEncode(message(detail)));
        if (requestId != null) {
            out.add(ForwardingHeaders.X_REQUEST_ID, requestId);
        }
        return out;
    }

    /** The same answer as an HTTP/1.1 response without a body, as bytes. */
    static ByteBuf http1(ByteBufAllocator alloc, HttpResponseStatus status, String detail, boolean close,
                         String requestId) {
        StringBuilder head = new StringBuilder(200).append("HTTP/1.1 200 OK\r\n")
                .append("content-type: application/grpc\r\n")
                .append("grpc-status: ").append(GrpcStatus.ofLocalReply(status.code())).append("\r\n")
                .append("grpc-message: ").append(percentEncode(message(detail))).append("\r\n")
                .append("content-length: 0\r\n");
        if (close) {
            head.append("connection: close\r\n");
        }
        if (requestId != null) {
            head.append("x-request-id: ").append(requestId).append("\r\n");
        }
        head.append("\r\n");
        ByteBuf out = alloc.buffer(head.length());
        out.writeCharSequence(head, StandardCharsets.ISO_8859_1);
        return out;
    }

    /**
     * {@code grpc-message}'s percent-encoding: the UTF-8 bytes of {@code text}, each outside printable ASCII
     * (0x20..0x7E) and each {@code %} written as {@code %XX} (upper-case hex).
     */
    static String percentEncode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append((char) HEX[c >> 4]).append((char) HEX[c & 0xf]);
            }
        }
        return out.toString();
    }
}
