package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * How a server's response is framed towards the client (RFC 9112 6.3): a body the server delimits by closing is
 * re-framed as chunked for an HTTP/1.1 client, or sent close-delimited to an HTTP/1.0 client (which cannot read
 * chunked either); responses without a body (HEAD, 204, 304) are left alone. Then {@code Connection} says whether
 * the client connection lives on.
 *
 * <p>Threading: stateless.
 */
final class ResponseFraming {
    private ResponseFraming() {
    }

    /** True when the server ends the body by closing the connection (no length, not chunked, a body allowed). */
    static boolean isCloseDelimited(HttpResponse response, boolean headRequest) {
        return hasBody(response, headRequest) && !HttpUtil.isContentLengthSet(response)
                && !HttpUtil.isTransferEncodingChunked(response);
    }

    private static boolean hasBody(HttpResponse response, boolean headRequest) {
        int code = response.status().code();
        return !headRequest && code != 204 && code != 304;
    }

    /**
     * Frames {@code response} (its hop-by-hop fields already removed) for the client, in place.
     *
     * @param keepAlive whether the client connection may carry another request afterwards, as far as the request
     *                  and the exchange so far go
     * @return true when the client connection must close after this response
     */
    static boolean prepare(HttpResponse response, boolean headRequest, boolean client10, boolean keepAlive) {
        boolean close = !keepAlive;
        if (isCloseDelimited(response, headRequest)) {
            if (client10) {
                close = true;
            } else {
                HttpUtil.setTransferEncodingChunked(response, true);
            }
        } else if (client10 && hasBody(response, headRequest) && HttpUtil.isTransferEncodingChunked(response)) {
            response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            close = true;
        }
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (client10) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return close;
    }
}
