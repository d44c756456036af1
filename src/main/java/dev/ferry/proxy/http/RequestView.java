package dev.ferry.proxy.http;

import dev.ferry.schedule.hash.HttpRequestView;

/** A decoded request head as the layer-7 hash keys see it (uri, header and cookie keys). */
record RequestView(RequestHeaders request) implements HttpRequestView {
    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public String header(String name) {
        return request.fields().get(name);
    }
}
