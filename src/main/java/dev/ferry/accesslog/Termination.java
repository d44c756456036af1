package dev.ferry.accesslog;

/**
 * How a connection (layer 4) or a request (layer 7) ended: the access log's {@code end=} / {@code "termination"}
 * field. Each value is written as its {@link #word()}, which is part of the log format people parse, so words are
 * never renamed; add a value rather than reuse one for another meaning.
 *
 * <p>The same role as HAProxy's termination state or Envoy's response flags, in words instead of letters.
 *
 * <p>Threading: immutable.
 */
public enum Termination {
    // ---- both layers ----
    /** The client closed its connection (layer 4: first; layer 7: before its response was complete). */
    CLIENT_CLOSED("client_closed"),
    /** The server closed its connection (layer 4: first; layer 7: in the middle of the response). */
    SERVER_CLOSED("server_closed"),
    /** Nothing passed either way for longer than the idle timeout, so Ferry closed the connection. */
    IDLE_TIMEOUT("idle_timeout"),
    /** No server of the backend could take it (none up, all full or excluded, or this machine out of sockets). */
    NO_SERVER("no_server"),

    // ---- layer 4 ----
    /** The connection ended without another reason being recorded (both sides finished normally). */
    CLOSED("closed"),
    /** The client's connection was reset. */
    CLIENT_RESET("client_reset"),
    /** The server's connection was reset. */
    SERVER_RESET("server_reset"),
    /** {@code proxy_protocol}: the PROXY header did not arrive in time. */
    PROXY_HEADER_TIMEOUT("proxy_header_timeout"),
    /** {@code proxy_protocol}: the first bytes were no valid PROXY header. */
    BAD_PROXY_HEADER("bad_proxy_header"),

    // ---- layer 7 ----
    /** The whole response reached the client. */
    OK("ok"),
    /** A protocol upgrade (WebSocket) was passed through; what follows is relayed as bytes and not logged. */
    UPGRADED("upgraded"),
    /** No route matched the request (Ferry answered 404). */
    NO_ROUTE("no_route"),
    /** The server failed before a response (refused, closed, switched protocols unasked); Ferry answered 502. */
    SERVER_FAILED("server_failed"),
    /** The server sent something that is no valid HTTP response (502, or a cut response once one had started). */
    SERVER_BROKEN("server_broken"),
    /** The response did not start within the backend's {@code response} timeout (Ferry answered 504). */
    RESPONSE_TIMEOUT("response_timeout"),
    /** The request head did not arrive within {@code request_header} (Ferry answered 408). */
    HEADER_TIMEOUT("header_timeout"),
    /** The request was malformed or too large (Ferry answered 400, 414 or 431). */
    BAD_REQUEST("bad_request"),
    /** A fault of Ferry's own (Ferry answered 500 when it still could). */
    INTERNAL_ERROR("internal_error"),
    /** Ferry refused the request for another reason of its own (e.g. 405 for CONNECT). */
    REFUSED("refused"),
    /** A route answered with its {@code redirect:} (Ferry's own answer, as configured; no server was asked). */
    ROUTE_REDIRECT("route_redirect"),
    /** A route answered with its {@code return:} (Ferry's own answer, as configured; no server was asked). */
    ROUTE_RETURN("route_return");

    private final String word;

    Termination(String word) {
        this.word = word;
    }

    /** The value as the access log writes it, e.g. {@code client_closed}. */
    public String word() {
        return word;
    }

    /** How a request that Ferry answered itself with {@code status} ended. */
    public static Termination ofLocalReply(int status) {
        return switch (status) {
            case 404 -> NO_ROUTE;
            case 503 -> NO_SERVER;
            case 502 -> SERVER_FAILED;
            case 504 -> RESPONSE_TIMEOUT;
            case 408 -> HEADER_TIMEOUT;
            case 400, 414, 431 -> BAD_REQUEST;
            case 500 -> INTERNAL_ERROR;
            default -> REFUSED;
        };
    }

    @Override
    public String toString() {
        return word;
    }
}
