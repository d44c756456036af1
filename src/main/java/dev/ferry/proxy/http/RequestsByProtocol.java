package dev.ferry.proxy.http;

import java.util.concurrent.atomic.LongAdder;

/**
 * An http frontend's requests by the protocol the client spoke: {@code http/1.1} (HTTP/1.0 counted with it) and
 * {@code h2} (h2 by ALPN and h2c alike), counted as each request head arrives. Exported as
 * {@code ferry_http_requests_total{frontend,protocol}} and in the status API's {@code requests_by_protocol}.
 *
 * <p>Threading: counted from every event loop, read from any thread.
 */
public final class RequestsByProtocol {
    /** The protocol labels, as {@code http.protocols} names them. */
    public static final String HTTP_1_1 = "http/1.1";
    public static final String H2 = "h2";

    private final LongAdder http1 = new LongAdder();
    private final LongAdder h2 = new LongAdder();

    /** @param version as {@link RequestHeaders#protocolVersion()} says it: {@code 1.0}, {@code 1.1} or {@code 2} */
    void arrived(String version) {
        if ("2".equals(version)) {
            h2.increment();
        } else {
            http1.increment();
        }
    }

    /** Requests that came as HTTP/1.x. */
    public long http1() {
        return http1.sum();
    }

    /** Requests that came as HTTP/2. */
    public long h2() {
        return h2.sum();
    }
}
