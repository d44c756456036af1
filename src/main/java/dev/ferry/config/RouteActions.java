package dev.ferry.config;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a route does besides choosing a backend, or instead of it: a redirect ({@code redirect:}) or a fixed answer
 * ({@code return:}) in place of a backend, header rewrites both ways ({@code request_headers:},
 * {@code response_headers:}) and a rewrite of the path sent to the server ({@code path:}). A route has exactly one
 * of backend, redirect and return (the reader checks).
 *
 * @param redirect        {@code redirect:}
 * @param fixed           {@code return:} (the word is Java's own)
 * @param requestHeaders  rules for the request going to the server
 * @param responseHeaders rules for the response going to the client (Ferry's own answers of the route included)
 * @param path            {@code path:}
 */
public record RouteActions(Optional<Redirect> redirect, Optional<FixedAnswer> fixed, HeaderRules requestHeaders,
                           HeaderRules responseHeaders, Optional<PathRewrite> path) {
    public static final RouteActions NONE = new RouteActions(Optional.empty(), Optional.empty(), HeaderRules.NONE,
            HeaderRules.NONE, Optional.empty());

    /** The codes a redirect may answer with. */
    public static final java.util.List<Integer> REDIRECT_CODES = java.util.List.of(301, 302, 303, 307, 308);
    /** The default redirect code: 302 (HAProxy's {@code redirect}, nginx's {@code rewrite ... redirect}). */
    public static final int DEFAULT_REDIRECT_CODE = 302;
    /** The largest body a {@code return:} may have. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    public static final String DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8";

    /** Whether the route answers itself (redirect or return) and needs no backend. */
    public boolean answers() {
        return redirect.isPresent() || fixed.isPresent();
    }

    /**
     * {@code redirect:}: the Location is the request's URL with the given parts replaced.
     *
     * @param scheme     {@code http} or {@code https}; absent: the request's
     * @param host       absent: the request's host
     * @param port       absent: the request's port when neither scheme nor host changed, else none (the scheme's
     *                   default); a port that is the scheme's default is never written
     * @param path       replaces the whole path
     * @param prefix     replaces the route's matched {@code path_prefix}
     * @param code       301, 302, 303, 307 or 308
     * @param stripQuery whether the query is left out ({@code strip_query})
     */
    public record Redirect(Optional<String> scheme, Optional<String> host, OptionalInt port, Optional<String> path,
                           Optional<String> prefix, int code, boolean stripQuery) {
    }

    /**
     * {@code return:}: a fixed answer.
     *
     * @param status      200..599
     * @param body        UTF-8 text, at most {@link #MAX_BODY_BYTES}
     * @param contentType default {@link #DEFAULT_CONTENT_TYPE}
     */
    public record FixedAnswer(int status, String body, String contentType) {
    }

    /**
     * {@code path:}: how the path sent to the server is rewritten; exactly one kind.
     *
     * @param from        the prefix replaced ({@code strip_prefix}, {@code replace_prefix.from}; the route's
     *                    {@code path_prefix} when not given), or the regular expression ({@code regex_replace})
     * @param to          what replaces it: empty for {@code strip_prefix}
     * @param regex       whether {@code from} is a regular expression and {@code to} its substitution
     *                    ({@code $1} for groups, as Java's {@link java.util.regex.Matcher#replaceAll(String)})
     */
    public record PathRewrite(String from, String to, boolean regex) {
    }
}
