package dev.ferry.proxy.http;

import dev.ferry.accesslog.Termination;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;

/**
 * A route that answers requests itself instead of sending them to a backend: {@link RedirectAnswer}
 * ({@code redirect:}) or {@link FixedAnswer} ({@code return:}). The answer is a response head and a body of Ferry's
 * own that the exchange sends through the same verbs as a server's response, so it is framed for HTTP/1 and HTTP/2
 * clients alike, a HEAD request gets the head only, and the route's {@code response_headers} apply to it.
 *
 * <p>Threading: immutable; used from every event loop.
 */
interface RouteAnswer {
    /**
     * The answer to one request.
     *
     * @param headRequest the request is HEAD: the head says the body's length, no body follows
     */
    Response respond(ActionValues values, boolean headRequest);

    /** How the access log says the request ended. */
    Termination termination();

    /**
     * One answer.
     *
     * @param head its head (the route's response rules may still edit its fields)
     * @param body what follows the head; empty for a HEAD request
     */
    record Response(ResponseHeaders head, byte[] body) {
        int code() {
            return head.code();
        }
    }

    /** The head of an answer: {@code :status}, {@code content-length}, the request id; the caller adds the rest. */
    static Http2Headers head(int status, int length, String requestId) {
        Http2Headers h = new DefaultHttp2Headers(false).status(HttpResponseStatus.valueOf(status).codeAsText());
        if (status != 204 && status != 304) {
            h.addInt("content-length", length);
        }
        if (requestId != null) {
            h.add(ForwardingHeaders.X_REQUEST_ID, requestId);
        }
        return h;
    }

    /** The protocol-neutral head of {@code headers}. */
    static Response response(Http2Headers headers, byte[] body, boolean headRequest) {
        Http2ResponseHead head = Http2ResponseHead.of(headers, headRequest, body.length == 0 || headRequest);
        if (head == null) {
            // The reader checked every value that goes in; a request's own values (its host, target) are valid
            // field text already.
            throw new IllegalStateException("a route answer's head is not valid: " + headers);
        }
        return new Response(head, headRequest ? new byte[0] : body);
    }
}
