package dev.ferry.proxy.http;

import dev.ferry.accesslog.Termination;
import dev.ferry.config.RouteActions;
import io.netty.handler.codec.http2.Http2Headers;

/**
 * {@code redirect: {scheme, host, port, path, prefix, code, strip_query}}: a 301/302/303/307/308 whose
 * {@code Location} is the request's own URL with the given parts replaced, and an empty body (as Envoy; nginx adds a
 * page of HTML no client needs).
 *
 * <ul>
 *   <li>scheme: the given one, else the request's ({@code https} on a TLS frontend);</li>
 *   <li>host: the given one, else the request's (absolute-form authority or {@code Host}), without its port;</li>
 *   <li>port: the given one; else the request's port only when neither scheme nor host changed (so
 *       {@code redirect: {scheme: https}} from {@code http://site:8080/} leads to {@code https://site/}, not to the
 *       plaintext port over TLS); a port that is the scheme's default (80, 443) is left out;</li>
 *   <li>path: {@code path} replaces all of it, {@code prefix} the route's matched {@code path_prefix}, else the
 *       request's, raw as received;</li>
 *   <li>query: kept, unless {@code strip_query: true}.</li>
 * </ul>
 *
 * <p>Threading: immutable.
 */
final class RedirectAnswer implements RouteAnswer {
    private final RouteActions.Redirect config;
    private final String matchedPrefix;

    /** @param matchedPrefix the route's {@code match.path_prefix} (what {@code prefix} replaces), or null */
    RedirectAnswer(RouteActions.Redirect config, String matchedPrefix) {
        this.config = config;
        this.matchedPrefix = matchedPrefix;
    }

    @Override
    public Response respond(ActionValues values, boolean headRequest) {
        Http2Headers h = RouteAnswer.head(config.code(), 0, values.requestId());
        h.add("location", location(values.target(), values.scheme()));
        return RouteAnswer.response(h, new byte[0], headRequest);
    }

    /** The URL the client is sent to. */
    String location(RequestTarget target, String requestScheme) {
        String scheme = config.scheme().orElse(requestScheme);
        String host = config.host().orElse(target.host());
        int port = -1;
        if (config.port().isPresent()) {
            port = config.port().getAsInt();
        } else if (scheme.equals(requestScheme) && config.host().isEmpty()) {
            port = portOf(target);
        }
        if (port == (scheme.equals("https") ? 443 : 80)) {
            port = -1;
        }
        String uri = target.uri();
        String path = uri.substring(target.pathStart(), target.pathEnd());
        if (config.path().isPresent()) {
            path = config.path().get();
        } else if (config.prefix().isPresent() && matchedPrefix != null && path.startsWith(matchedPrefix)) {
            path = config.prefix().get() + path.substring(matchedPrefix.length());
        }
        if (path.isEmpty()) {
            // An absolute-form target without a path (http://a.example) asks for /.
            path = "/";
        }
        StringBuilder b = new StringBuilder(scheme.length() + host.length() + path.length() + 16)
                .append(scheme).append("://").append(host);
        if (port > 0) {
            b.append(':').append(port);
        }
        b.append(path);
        int query = target.queryStart();
        if (query >= 0 && !config.stripQuery()) {
            int fragment = uri.indexOf('#', query);
            b.append('?').append(uri, query, fragment < 0 ? uri.length() : fragment);
        }
        return b.toString();
    }

    /** The port the request named (after its host), or -1. */
    private static int portOf(RequestTarget target) {
        String withPort = target.hostWithPort();
        int hostEnd = target.host().length();
        if (withPort.length() <= hostEnd + 1 || withPort.charAt(hostEnd) != ':') {
            return -1;
        }
        try {
            return Integer.parseInt(withPort, hostEnd + 1, withPort.length(), 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public Termination termination() {
        return Termination.ROUTE_REDIRECT;
    }
}
