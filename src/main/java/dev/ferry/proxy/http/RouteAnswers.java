package dev.ferry.proxy.http;

import dev.ferry.accesslog.Termination;

import java.util.concurrent.atomic.LongAdder;

/**
 * An http frontend's requests its routes answered themselves (HAProxy's "intercepted requests"), by action:
 * {@code redirect} and {@code return}. Exported as {@code ferry_http_route_answers_total{frontend,action}}; the
 * same requests are in {@code ferry_request_duration_seconds} under {@code backend="-"}.
 *
 * <p>Threading: counted from every event loop, read from any thread.
 */
public final class RouteAnswers {
    public static final String REDIRECT = "redirect";
    public static final String RETURN = "return";

    private final LongAdder redirects = new LongAdder();
    private final LongAdder returns = new LongAdder();

    void answered(Termination termination) {
        if (termination == Termination.ROUTE_REDIRECT) {
            redirects.increment();
        } else if (termination == Termination.ROUTE_RETURN) {
            returns.increment();
        }
    }

    /** Requests answered with a route's {@code redirect:}. */
    public long redirects() {
        return redirects.sum();
    }

    /** Requests answered with a route's {@code return:}. */
    public long returns() {
        return returns.sum();
    }

    public long total() {
        return redirects() + returns();
    }
}
