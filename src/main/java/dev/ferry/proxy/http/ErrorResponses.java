package dev.ferry.proxy.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * The responses Ferry writes itself: a status line and a one-line plain-text body that says what happened, e.g.
 * {@code 502 Bad Gateway: the server failed}. Never a stack trace or a page of HTML.
 *
 * <p>Threading: stateless; the responses are new objects for the caller's event loop.
 */
final class ErrorResponses {

    private ErrorResponses() {
    }

    /**
     * A complete response.
     *
     * @param close when true the response says {@code Connection: close} (the caller closes after writing it)
     * @param requestId echoed in {@code X-Request-Id} when not null, so a person can find the log line
     */
    static FullHttpResponse of(ByteBufAllocator alloc, HttpResponseStatus status, String detail, boolean close,
                               String requestId) {
        byte[] text = (status.code() + " " + status.reasonPhrase() + ": " + detail + "\n")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf body = alloc.buffer(text.length).writeBytes(text);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (requestId != null) {
            r.headers().set(ForwardingHeaders.X_REQUEST_ID, requestId);
        }
        return r;
    }
}
