package dev.ferry.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.Iterator;

/**
 * What is wrong with a request head, in the words of the answer Ferry sends: the codec's failures mapped to 414,
 * 431 or 400, and the RFC 9112 rules the codec leaves to the proxy (HTTP/1.x only, exactly one {@code Host} on
 * HTTP/1.1).
 *
 * <p>Threading: stateless.
 */
final class RequestChecks {
    /** An answer to a request Ferry will not forward. */
    record Rejection(HttpResponseStatus status, String detail) {
    }

    private RequestChecks() {
    }

    /** The answer to a head (or body) the codec could not decode. */
    static Rejection ofDecodeFailure(Throwable cause, int maxRequestLine, int maxHeaderSize) {
        if (cause instanceof TooLongHttpLineException) {
            return new Rejection(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "the request line is longer than " + maxRequestLine + " bytes");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Rejection(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "the header fields are larger than " + maxHeaderSize + " bytes");
        }
        return new Rejection(HttpResponseStatus.BAD_REQUEST, "malformed request");
    }

    /** What is wrong with a decoded head, or null when it may be forwarded. */
    static String problem(HttpRequest head) {
        HttpVersion v = head.protocolVersion();
        if (v.majorVersion() != 1) {
            return "HTTP/" + v.majorVersion() + "." + v.minorVersion() + " is not supported; use HTTP/1.1";
        }
        Iterator<String> hosts = head.headers().valueStringIterator(HttpHeaderNames.HOST);
        if (!hosts.hasNext()) {
            return v.minorVersion() >= 1 ? "HTTP/1.1 requests need a Host header" : null;
        }
        hosts.next();
        return hosts.hasNext() ? "more than one Host header" : null;
    }
}
