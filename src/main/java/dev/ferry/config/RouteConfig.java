package dev.ferry.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One http route: when every given condition of {@code match} holds, the request goes to {@code backend}. A route
 * without {@code match} is the catch-all. Its {@code access} rules ({@code allow}, {@code deny}, ...) and
 * {@code rate_limit} apply to the requests it took (403, and 429 or the limit's status).
 *
 * @param backend null when the route answers itself ({@link RouteActions#answers()})
 * @param actions redirect, return, header and path rewrites ({@link RouteActions#NONE} when none)
 */
public record RouteConfig(Optional<Match> match, String backend, RouteActions actions, AccessRules access,
                          Optional<RateLimitConfig> rateLimit) {

    /** A route to {@code backend} without actions, access rules or rate limit. */
    public RouteConfig(Optional<Match> match, String backend) {
        this(match, backend, RouteActions.NONE, AccessRules.NONE, Optional.empty());
    }

    /**
     * Conditions of a route; absent ones match everything.
     *
     * @param host       exact host, or {@code *.suffix}
     * @param pathPrefix key {@code path_prefix}
     * @param path       exact path
     * @param pathRegex  key {@code path_regex}
     * @param methods    upper-case method names
     * @param headers    header name to exact value
     * @param query      query parameter name to exact value
     */
    public record Match(Optional<String> host, Optional<String> pathPrefix, Optional<String> path,
                        Optional<String> pathRegex, List<String> methods, Map<String, String> headers,
                        Map<String, String> query) {
        public Match {
            methods = List.copyOf(methods);
            headers = Map.copyOf(headers);
            query = Map.copyOf(query);
        }
    }
}
