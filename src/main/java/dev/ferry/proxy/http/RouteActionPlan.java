package dev.ferry.proxy.http;

import dev.ferry.config.HeaderRules;
import dev.ferry.config.RouteActions;

/**
 * A route's actions compiled once per configuration ({@link RouteActions}): its own answer, or the rewrites of the
 * request it sends to a server and of the response it passes back. The exchange calls it at three points, each a
 * stage of its own: when the route is chosen ({@link #answer()}), before each attempt sends the head
 * ({@link #toServer}) and when a response head passes ({@link #toClient}). The frontend's own header rules run first,
 * then the route's, so a route's {@code set} wins for its requests (the most specific wins, as Envoy's
 * {@code most_specific_header_mutations_wins}).
 *
 * <p>Threading: immutable; used from every event loop.
 */
final class RouteActionPlan {
    private final RouteAnswer answer;
    private final HeaderRewriter frontendRequest;
    private final HeaderRewriter request;
    private final HeaderRewriter frontendResponse;
    private final HeaderRewriter response;
    private final PathRewriter path;

    private RouteActionPlan(RouteActions actions, String matchedPrefix, HeaderRules frontendRequest,
                            HeaderRules frontendResponse) {
        if (actions.redirect().isPresent()) {
            answer = new RedirectAnswer(actions.redirect().get(), matchedPrefix);
        } else if (actions.fixed().isPresent()) {
            answer = new FixedAnswer(actions.fixed().get());
        } else {
            answer = null;
        }
        this.frontendRequest = answer == null ? HeaderRewriter.of(frontendRequest) : null;
        this.frontendResponse = HeaderRewriter.of(frontendResponse);
        request = HeaderRewriter.of(actions.requestHeaders());
        response = HeaderRewriter.of(actions.responseHeaders());
        path = actions.path().map(PathRewriter::new).orElse(null);
    }

    /**
     * The plan of {@code actions}, or null when they do nothing (the exchange then skips every stage).
     *
     * @param matchedPrefix    the route's {@code match.path_prefix}, or null
     * @param frontendRequest  the frontend's {@code request_headers} (for every route)
     * @param frontendResponse the frontend's {@code response_headers}
     */
    static RouteActionPlan of(RouteActions actions, String matchedPrefix, HeaderRules frontendRequest,
                              HeaderRules frontendResponse) {
        if (actions.equals(RouteActions.NONE) && frontendRequest.isEmpty() && frontendResponse.isEmpty()) {
            return null;
        }
        return new RouteActionPlan(actions, matchedPrefix, frontendRequest, frontendResponse);
    }

    /** The route's own answer, or null when its requests go to a backend. */
    RouteAnswer answer() {
        return answer;
    }

    /**
     * An attempt is about to send {@code head} to a server ({@link ActionValues#attempt} told which): the first
     * rewrites the path and applies the request rules; later ones (retries send the same head) only set anew the
     * fields that name the server.
     */
    void toServer(RequestHeaders head, ActionValues values, int earlierAttempts) {
        if (earlierAttempts == 0) {
            if (path != null) {
                String uri = path.rewrite(values.target());
                if (uri != null) {
                    head.rewriteUri(uri);
                }
            }
            if (frontendRequest != null) {
                frontendRequest.apply(head.fields(), values);
            }
            if (request != null) {
                request.apply(head.fields(), values);
            }
        } else {
            if (frontendRequest != null) {
                frontendRequest.applyAgain(head.fields(), values);
            }
            if (request != null) {
                request.applyAgain(head.fields(), values);
            }
        }
    }

    /** A final response head (a server's, or the route's own answer) goes to the client. */
    void toClient(ResponseHeaders head, ActionValues values) {
        if (frontendResponse != null) {
            frontendResponse.apply(head.fields(), values);
        }
        if (response != null) {
            response.apply(head.fields(), values);
        }
    }
}
