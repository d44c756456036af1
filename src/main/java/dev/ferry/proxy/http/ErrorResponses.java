package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;

/**
 * The responses Ferry writes itself: a status line and a one-line plain-text body that says what happened, e.g.
 * {@code 502 Bad Gateway: the server failed}. Never a stack trace or a page of HTML.
 *
 * <p>Threading: stateless; the responses are new buffers for the caller's event loop.
 */
final class ErrorResponses {

    private ErrorResponses() {
    }

    /** The body of Ferry's own answer: {@code 502 Bad Gateway: the server failed}, one line, UTF-8. */
    static byte[] text(HttpResponseStatus status, String detail) {
        return (status.code() + " " + status.reasonPhrase() + ": " + detail + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A complete response, as bytes.
     *
     * @param close       when true the response says {@code Connection: close} (the caller closes after writing it)
     * @param requestId   echoed in {@code X-Request-Id} when not null, so a person can find the log line
     * @param headRequest whether it answers a HEAD request: then the head says the length the text would have, and
     *                    no body follows (RFC 9110 9.3.2; a body would be read as the next response)
     */
    static ByteBuf of(ByteBufAllocator alloc, HttpResponseStatus status, String detail, boolean close,
                      String requestId, boolean headRequest) {
        return of(alloc, status, detail, close, requestId, headRequest, 0);
    }

    /** As above, with {@code retry-after: retryAfterSeconds} when that is above 0 (a rate limit's answer). */
    static ByteBuf of(ByteBufAllocator alloc, HttpResponseStatus status, String detail, boolean close,
                      String requestId, boolean headRequest, long retryAfterSeconds) {
        byte[] text = text(status, detail);
        StringBuilder head = new StringBuilder(200).append("HTTP/1.1 ").append(status.code()).append(' ')
                .append(status.reasonPhrase()).append("\r\n")
                .append("content-type: text/plain; charset=utf-8\r\n")
                .append("content-length: ").append(text.length).append("\r\n")
                .append("cache-control: no-store\r\n");
        if (close) {
            head.append("connection: close\r\n");
        }
        if (requestId != null) {
            head.append("x-request-id: ").append(requestId).append("\r\n");
        }
        if (retryAfterSeconds > 0) {
            head.append("retry-after: ").append(retryAfterSeconds).append("\r\n");
        }
        head.append("\r\n");
        ByteBuf out = alloc.buffer(head.length() + (headRequest ? 0 : text.length));
        out.writeCharSequence(head, StandardCharsets.ISO_8859_1);
        return headRequest ? out : out.writeBytes(text);
    }
}
