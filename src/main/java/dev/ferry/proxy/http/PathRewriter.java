package dev.ferry.proxy.http;

import dev.ferry.config.RouteActions;

import java.util.regex.Pattern;

/**
 * A route's {@code path:} compiled: rewrites the path of the request target sent to the server (Envoy's
 * {@code prefix_rewrite} and {@code regex_rewrite}, HAProxy's {@code replace-path}), keeping the query and, for an
 * absolute-form target, the scheme and authority. The raw path is rewritten as received (no percent-decoding, as
 * routes match it); a result that does not start with {@code /} gets one.
 *
 * <p>Threading: immutable; used from every event loop.
 */
final class PathRewriter {
    private final String from;
    private final String to;
    private final Pattern pattern;

    PathRewriter(RouteActions.PathRewrite rewrite) {
        this.from = rewrite.regex() ? null : rewrite.from();
        this.to = rewrite.to();
        this.pattern = rewrite.regex() ? Pattern.compile(rewrite.from()) : null;
    }

    /** The target to send instead of {@code target}'s, or null when it stays as it is. */
    String rewrite(RequestTarget target) {
        String uri = target.uri();
        String path = uri.substring(target.pathStart(), target.pathEnd());
        String rewritten;
        if (pattern != null) {
            rewritten = pattern.matcher(path).replaceAll(to);
        } else if (path.startsWith(from)) {
            rewritten = to + path.substring(from.length());
        } else {
            return null;
        }
        if (!rewritten.startsWith("/")) {
            rewritten = "/" + rewritten;
        }
        if (rewritten.equals(path)) {
            return null;
        }
        return uri.substring(0, target.pathStart()) + rewritten + uri.substring(target.pathEnd());
    }
}
