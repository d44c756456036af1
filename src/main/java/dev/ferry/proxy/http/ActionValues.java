package dev.ferry.proxy.http;

import dev.ferry.config.ValueTemplate;

import java.net.InetSocketAddress;

/**
 * The values a route's header templates can use ({@link ValueTemplate.Variable}) for one exchange: made when a route
 * with actions is chosen, gone with the exchange. Values are computed when asked (most are a field read); the
 * server is set by each attempt.
 *
 * <p>Threading: one exchange, on its event loop.
 */
final class ActionValues {
    private final RequestHeaders request;
    private final RequestTarget target;
    private final String requestId;
    private final String frontend;
    private final String scheme;
    private final InetSocketAddress client;
    private final String backend;
    private String server = "-";
    private int attempts;

    ActionValues(RequestHeaders request, RequestTarget target, String requestId, String frontend, boolean tls,
                 InetSocketAddress client, String backend) {
        this.request = request;
        this.target = target;
        this.requestId = requestId;
        this.frontend = frontend;
        this.scheme = tls ? "https" : "http";
        this.client = client;
        this.backend = backend == null ? "-" : backend;
    }

    RequestTarget target() {
        return target;
    }

    String scheme() {
        return scheme;
    }

    String requestId() {
        return requestId;
    }

    /** An attempt on {@code name} starts; returns how many started before it. */
    int attempt(String name) {
        server = name;
        return attempts++;
    }

    String value(ValueTemplate.Variable v) {
        return switch (v) {
            case REQUEST_ID -> requestId == null ? "-" : requestId;
            case SERVER -> server;
            case BACKEND -> backend;
            case FRONTEND -> frontend;
            case CLIENT_IP -> client == null || client.getAddress() == null ? "-"
                    : client.getAddress().getHostAddress();
            case CLIENT_PORT -> client == null ? "-" : String.valueOf(client.getPort());
            case HOST -> target.host().isEmpty() ? "-" : target.host();
            case SCHEME -> scheme;
            case METHOD -> request.method().name();
            case URI -> target.uri();
        };
    }
}
