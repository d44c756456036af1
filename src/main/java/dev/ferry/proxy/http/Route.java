package dev.ferry.proxy.http;

import dev.ferry.backend.Backend;

import java.util.Set;

/**
 * One compiled route: its conditions (null for the catch-all) and the backend that takes matching requests.
 *
 * @param name    where the route came from, for logs ({@code routes[2]} or {@code backend})
 * @param matcher the conditions; null matches every request
 * @param backend where matching requests go
 * @param keyedByHost the backend's scheduler places by destination (lblc, lblcr, dh), which at layer 7 is the
 *                    request's Host; worked out once here rather than on every request (routes are rebuilt on reload)
 */
record Route(String name, RouteMatcher matcher, Backend backend, boolean keyedByHost) {
    private static final Set<String> HOST_KEYED = Set.of("lblc", "lblcr", "dh");

    Route(String name, RouteMatcher matcher, Backend backend) {
        this(name, matcher, backend, backend != null && HOST_KEYED.contains(backend.config().scheduler().name()));
    }

    boolean matches(RequestTarget target) {
        return matcher == null || matcher.matches(target);
    }
}
