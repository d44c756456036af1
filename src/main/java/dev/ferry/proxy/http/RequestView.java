package dev.ferry.proxy.http;

import dev.ferry.schedule.hash.HttpRequestView;
import io.netty.handler.codec.http.HttpRequest;

/** A decoded request head as the layer-7 hash keys see it (uri, header and cookie keys). */
record RequestView(HttpRequest request) implements HttpRequestView {
    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public String header(String name) {
        return request.headers().get(name);
    }
}
