package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.RouteActions;
import dev.ferry.config.RouteConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Chooses the route of a request: the routes of an http frontend in order, the first whose conditions all hold wins;
 * then the frontend's own {@code backend:} when it has one; otherwise no route (the caller answers 404).
 *
 * <p>Threading: immutable; called from every event loop. Costs a few string comparisons per route; only routes with
 * {@code path_regex} run a regular expression.
 */
final class Router {
    private final Route[] routes;

    Router(List<Route> routes) {
        this.routes = routes.toArray(Route[]::new);
    }

    /** Compiles a frontend's routes against the backends by name (the configuration was validated already). */
    static Router of(FrontendConfig config, Map<String, Backend> backends) {
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < config.routes().size(); i++) {
            RouteConfig rc = config.routes().get(i);
            routes.add(new Route("routes[" + i + "]", rc.match().map(RouteMatcher::new).orElse(null),
                    rc.backend() == null ? null : backend(backends, rc.backend()),
                    RouteActionPlan.of(rc.actions(), rc.match().flatMap(RouteConfig.Match::pathPrefix).orElse(null),
                            config.requestHeaders(), config.responseHeaders())));
        }
        config.backend().ifPresent(b -> routes.add(new Route("backend", null, backend(backends, b),
                RouteActionPlan.of(RouteActions.NONE, null, config.requestHeaders(), config.responseHeaders()))));
        return new Router(routes);
    }

    private static Backend backend(Map<String, Backend> backends, String name) {
        Backend b = backends.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no backend named '" + name + "'");
        }
        return b;
    }

    /** The first matching route, or null when none matches. */
    Route route(RequestTarget target) {
        for (Route r : routes) {
            if (r.matches(target)) {
                return r;
            }
        }
        return null;
    }

    /** Every backend some route leads to, in route order, without repeats. */
    List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        for (Route r : routes) {
            if (r.backend() != null && !list.contains(r.backend())) {
                list.add(r.backend());
            }
        }
        return list;
    }
}
