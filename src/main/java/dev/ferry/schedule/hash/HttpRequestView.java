package dev.ferry.schedule.hash;

import java.util.Map;
import java.util.TreeMap;

/**
 * The parts of an HTTP request that layer-7 hash keys read. The HTTP frontend adapts its decoded request head to this;
 * nothing here depends on Netty.
 *
 * <p>Threading: read on the event loop that decoded the request; implementations need not be thread-safe.
 */
public interface HttpRequestView {

    /** The request target as received (e.g. {@code /cart?id=7}); never null. */
    String uri();

    /**
     * The first value of the header {@code name}, matched case-insensitively, or null when the request has none.
     */
    String header(String name);

    /** A view over plain values; header names match case-insensitively. Null arguments are not allowed. */
    static HttpRequestView of(String uri, Map<String, String> headers) {
        TreeMap<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        byName.putAll(headers);
        return new HttpRequestView() {
            @Override
            public String uri() {
                return uri;
            }

            @Override
            public String header(String name) {
                return byName.get(name);
            }
        };
    }
}
