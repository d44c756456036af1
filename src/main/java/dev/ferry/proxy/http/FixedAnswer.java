package dev.ferry.proxy.http;

import dev.ferry.accesslog.Termination;
import dev.ferry.config.RouteActions;
import io.netty.handler.codec.http2.Http2Headers;

import java.nio.charset.StandardCharsets;

/**
 * {@code return: {status, body, content_type}}: the same answer to every request of the route (Envoy's
 * {@code direct_response}, nginx's {@code return CODE TEXT}), with {@code content-type} and {@code content-length}
 * and the request id; a HEAD request gets the head only.
 *
 * <p>Threading: immutable.
 */
final class FixedAnswer implements RouteAnswer {
    private final int status;
    private final byte[] body;
    private final String contentType;

    FixedAnswer(RouteActions.FixedAnswer config) {
        this.status = config.status();
        this.body = config.body().getBytes(StandardCharsets.UTF_8);
        this.contentType = config.contentType();
    }

    @Override
    public Response respond(ActionValues values, boolean headRequest) {
        Http2Headers h = RouteAnswer.head(status, body.length, values.requestId());
        if (body.length > 0) {
            h.add("content-type", contentType);
        }
        return RouteAnswer.response(h, body, headRequest);
    }

    @Override
    public Termination termination() {
        return Termination.ROUTE_RETURN;
    }
}
