package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;

import java.util.Locale;
import java.util.Map;

/**
 * Writes response heads and trailers as HTTP/2 header blocks (RFC 9113 8.3.2, 8.2.2): {@code :status} from the
 * status code, names in lower case, and none of the connection-specific fields, which an HTTP/1 server may send and
 * HTTP/2 forbids: {@code connection} (and what it names, {@link HopByHopHeaders} removed those already),
 * {@code keep-alive}, {@code proxy-connection}, {@code transfer-encoding}, {@code upgrade}, and {@code te}. Also the
 * heads of Ferry's own answers ({@link ErrorResponses}).
 *
 * <p>Threading: stateless.
 */
final class Http2ResponseEncoding {
    private Http2ResponseEncoding() {
    }

    /** The header block of a response head (a 1xx or a final one). */
    static Http2Headers head(ResponseHeaders head) {
        Http2Headers out = new DefaultHttp2Headers(false);
        out.status(HttpResponseStatus.valueOf(head.code()).codeAsText());
        head.fields().forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!isConnectionSpecific(lower)) {
                out.add(lower, value);
            }
        });
        return out;
    }

    /** The trailer fields of a chunked response (those forbidden in trailers are gone already), lower-cased. */
    static Http2Headers trailers(HttpHeaders trailers) {
        Http2Headers out = new DefaultHttp2Headers(false);
        for (Map.Entry<String, String> field : trailers) {
            String lower = field.getKey().toLowerCase(Locale.ROOT);
            if (!isConnectionSpecific(lower)) {
                out.add(lower, field.getValue());
            }
        }
        return out;
    }

    /** The head of Ferry's own answer with a body of {@code length} bytes (HEAD: the length it would have). */
    static Http2Headers localReply(HttpResponseStatus status, int length, String requestId) {
        Http2Headers out = new DefaultHttp2Headers(false)
                .status(status.codeAsText())
                .add("content-type", "text/plain; charset=utf-8")
                .addInt("content-length", length)
                .add("cache-control", "no-store");
        if (requestId != null) {
            out.add(ForwardingHeaders.X_REQUEST_ID, requestId);
        }
        return out;
    }

    private static boolean isConnectionSpecific(String lowerName) {
        return switch (lowerName) {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te" -> true;
            default -> false;
        };
    }
}
