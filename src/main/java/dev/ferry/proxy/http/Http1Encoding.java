package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * Writes a protocol-neutral request head as HTTP/1.1 for a server, when it did not arrive as HTTP/1 (an HTTP/1 head,
 * {@link RequestHead}, goes out as its own bytes instead: {@link RequestHead#encode}). A head that declares a body
 * of no stated length gets {@code Transfer-Encoding: chunked}, so the server can tell where the body ends; a
 * {@code TE} field (an HTTP/2 client's {@code te: trailers}) is left out.
 *
 * <p>Threading: stateless.
 */
final class Http1Encoding {
    private Http1Encoding() {
    }

    /** Whether the body of {@code head} goes to an HTTP/1 server as chunks. */
    static boolean sendsChunked(RequestHeaders head) {
        if (head instanceof RequestHead h1) {
            return h1.isChunked();
        }
        return head.declaresBody() && !head.fields().contains("content-length");
    }

    /**
     * The request line ({@code HTTP/1.1}), the fields and the empty line; adds {@code Transfer-Encoding: chunked}
     * to {@code head} when {@link #sendsChunked} and it has none.
     */
    static ByteBuf requestHead(RequestHeaders head, ByteBufAllocator alloc) {
        if (sendsChunked(head) && !head.fields().listHas("transfer-encoding", "chunked")) {
            head.fields().set("transfer-encoding", "chunked");
        }
        StringBuilder b = new StringBuilder(256).append(head.method().name()).append(' ').append(head.forwardedUri())
                .append(" HTTP/1.1\r\n");
        head.fields().forEach((name, value) -> {
            // TE is hop-by-hop in HTTP/1; an HTTP/2 client's te: trailers says nothing to this server.
            if (!name.equalsIgnoreCase("te")) {
                b.append(name).append(": ").append(value).append("\r\n");
            }
        });
        b.append("\r\n");
        ByteBuf out = alloc.buffer(b.length());
        out.writeCharSequence(b, StandardCharsets.ISO_8859_1);
        return out;
    }
}
