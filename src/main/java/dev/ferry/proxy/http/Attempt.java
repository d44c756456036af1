package dev.ferry.proxy.http;

import dev.ferry.backend.Server;

/**
 * One try of an exchange on one server, and the only place that tells the server's passive health check how it
 * went: at most one failure and at most one success per attempt, however many signs of the same failure arrive (a
 * reset is seen as an exception on the server connection and then as its close; a 5xx head may be followed by a
 * broken body). A success (a head other than 5xx) followed by a broken body records both, as both happened.
 *
 * <p>Threading: belongs to one exchange, on its event loop.
 */
final class Attempt {
    private final Server server;
    private boolean failed;
    private boolean succeeded;

    Attempt(Server server) {
        this.server = server;
    }

    Server server() {
        return server;
    }

    /** The server failed this attempt (refused, reset, closed early, answered 5xx or nonsense, too slow). */
    void failed() {
        if (!failed) {
            failed = true;
            server.recordFailure();
        }
    }

    /**
     * The server's response head arrived: a 5xx is a failure, anything else a success; the time it took to come
     * (from the request's end) feeds the latency the ewma scheduler compares (none when not known: negative).
     */
    void responded(int code, long latencyNanos) {
        if (code >= 500) {
            failed();
        } else if (!succeeded && !failed) {
            succeeded = true;
            server.recordSuccess();
        }
        if (latencyNanos >= 0) {
            server.recordLatencyNanos(latencyNanos);
        }
    }
}
