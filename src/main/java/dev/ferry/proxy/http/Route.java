package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;

/**
 * One compiled route: its conditions (null for the catch-all) and the backend that takes matching requests.
 *
 * @param name    where the route came from, for logs ({@code routes[2]} or {@code backend})
 * @param matcher the conditions; null matches every request
 * @param backend where matching requests go; null when the route answers itself ({@link RouteActionPlan#answer()})
 * @param actions the route's redirect, return and rewrites; null when it has none
 */
record Route(String name, RouteMatcher matcher, Backend backend, RouteActionPlan actions) {
    Route(String name, RouteMatcher matcher, Backend backend) {
        this(name, matcher, backend, null);
    }

    /** The backend's name, or {@code -} for a route that answers itself (the access log's and metrics' word). */
    String backendName() {
        return backend == null ? "-" : backend.name();
    }

    boolean matches(RequestTarget target) {
        return matcher == null || matcher.matches(target);
    }
}
