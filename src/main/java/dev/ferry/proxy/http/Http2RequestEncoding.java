package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;

import java.util.Locale;

/**
 * Writes a protocol-neutral request head as an HTTP/2 header block for a server (RFC 9113 8.3.1, 8.2.2): the
 * pseudo-headers first ({@code :method}, {@code :scheme}, {@code :authority} from {@code Host} or the absolute-form
 * target, {@code :path}: the target's path and query, {@code *} for {@code OPTIONS *}), then the fields in lower case
 * without {@code Host} and without the connection-specific ones HTTP/2 forbids ({@code Connection}, {@code Keep-Alive},
 * {@code Proxy-Connection}, {@code Transfer-Encoding}, {@code Upgrade}, and {@code TE} unless it is
 * {@code trailers}, which gRPC servers look for).
 *
 * <p>Threading: stateless.
 */
final class Http2RequestEncoding {
    private Http2RequestEncoding() {
    }

    /**
     * @param scheme {@code http} for h2c, {@code https} for h2 over TLS
     */
    static Http2Headers head(RequestHeaders head, String scheme) {
        Http2Headers out = new DefaultHttp2Headers(false);
        String uri = head.forwardedUri();
        String authority = head.fields().get("host");
        String path = uri;
        int start = RequestHost.authorityStart(uri);
        if (start > 0) {
            int end = RequestHost.authorityEnd(uri, start);
            authority = uri.substring(start, end);
            path = end == uri.length() ? "/" : uri.charAt(end) == '/' ? uri.substring(end) : "/" + uri.substring(end);
        }
        int fragment = path.indexOf('#');
        if (fragment >= 0) {
            path = path.substring(0, fragment);
        }
        out.method(head.method().asciiName()).scheme(scheme).path(path);
        if (authority != null && !authority.isEmpty()) {
            out.authority(authority);
        }
        head.fields().forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            switch (lower) {
                case "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade" -> {
                }
                case "te" -> {
                    if (value.trim().equalsIgnoreCase("trailers")) {
                        out.add("te", "trailers");
                    }
                }
                default -> out.add(lower, value);
            }
        });
        return out;
    }
}
