package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;

/**
 * One compiled route: its conditions (null for the catch-all) and the backend that takes matching requests.
 *
 * @param name    where the route came from, for logs ({@code routes[2]} or {@code backend})
 * @param matcher the conditions; null matches every request
 * @param backend where matching requests go
 */
record Route(String name, RouteMatcher matcher, Backend backend) {
    boolean matches(RequestTarget target) {
        return matcher == null || matcher.matches(target);
    }
}
