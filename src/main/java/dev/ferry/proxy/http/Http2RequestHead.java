package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.Http2Headers;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * A request head that arrived as an HTTP/2 header block ({@link Http2RequestChecks checked} first), in the form an
 * HTTP/1.1 server takes it (RFC 9113 8.3.1, 8.2.3): {@code :method} and {@code :path} become the request line,
 * {@code :authority} the {@code host} field (the first field; the address the client connected to when neither
 * {@code :authority} nor {@code host} came, as for an HTTP/1.0 request), the {@code cookie} fields one field joined
 * with {@code "; "}, and the other fields follow in order. {@code :scheme} says nothing to an HTTP/1 origin server
 * (it goes in {@code X-Forwarded-Proto} only through what the frontend knows).
 *
 * <p>Connection-specific fields never get this far (a stream error); {@code te: trailers}, the one allowed, goes on to
 * HTTP/2 servers only ({@link #removeConnectionFields}).
 *
 * <p>Threading: belongs to one stream on its connection's event loop.
 */
final class Http2RequestHead implements RequestHeaders {
    private final HttpMethod method;
    private final String uri;
    /** The target a route's path rewrite sends instead, or null. */
    private String rewrittenUri;
    private final FieldList fields;
    private final boolean declaresBody;

    private Http2RequestHead(HttpMethod method, String uri, FieldList fields, boolean declaresBody) {
        this.method = method;
        this.uri = uri;
        this.fields = fields;
        this.declaresBody = declaresBody;
    }

    /**
     * @param endStream   whether the header block ended the stream (no body follows)
     * @param destination the address the client connected to: the {@code host} of a request that names none
     * @throws IllegalArgumentException when {@code :method} is not a token
     */
    static Http2RequestHead of(Http2Headers headers, boolean endStream, InetSocketAddress destination) {
        HttpMethod method = HttpMethod.valueOf(headers.method().toString());
        CharSequence authority = headers.authority();
        String uri = method == HttpMethod.CONNECT ? String.valueOf(authority) : headers.path().toString();
        FieldList fields = new FieldList(headers.size() + 4);
        CharSequence host = authority != null && !authority.isEmpty() ? authority : headers.get("host");
        fields.add("host", host != null ? host.toString() : destination != null ? RequestHost.of(destination) : "");
        StringBuilder cookies = null;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            CharSequence name = field.getKey();
            if (name.isEmpty() || name.charAt(0) == ':' || "host".contentEquals(name)) {
                continue;
            }
            if ("cookie".contentEquals(name)) {
                // RFC 9113 8.2.3: an HTTP/1 server expects the crumbs as one field.
                cookies = cookies == null ? new StringBuilder(field.getValue()) : cookies.append("; ")
                        .append(field.getValue());
                continue;
            }
            fields.add(name.toString(), field.getValue().toString());
        }
        if (cookies != null) {
            fields.add("cookie", cookies.toString());
        }
        return new Http2RequestHead(method, uri, fields, !endStream);
    }

    @Override
    public HttpMethod method() {
        return method;
    }

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

    @Override
    public String protocolVersion() {
        return "2";
    }

    @Override
    public FieldList fields() {
        return fields;
    }

    @Override
    public boolean declaresBody() {
        return declaresBody;
    }

    /** Never: HTTP/2 has no {@code Upgrade} (RFC 9113 8.6), and extended CONNECT is not offered. */
    @Override
    public boolean asksUpgrade() {
        return false;
    }

    /**
     * The others cannot be here (Http2RequestChecks, Netty's decoder); {@code te: trailers}, the one TE HTTP/2
     * allows, stays for an HTTP/2 server (gRPC servers look for it) and is left out of an HTTP/1 head
     * ({@link Http1Encoding}), where TE is hop-by-hop.
     */
    @Override
    public void removeConnectionFields(boolean keepUpgrade) {
        String te = fields.get("te");
        if (te != null && !te.trim().equalsIgnoreCase("trailers")) {
            fields.remove("te");
        }
    }

    @Override
    public String toString() {
        return method + " " + uri + " HTTP/2";
    }
}
