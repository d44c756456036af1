package dev.ferry.proxy.http;

import dev.ferry.config.RouteConfig;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The conditions of one route's {@code match:}, compiled once; every given condition must hold.
 *
 * <ul>
 *   <li>{@code host}: compared without the port and case-insensitively; {@code *.example.com} matches any
 *       subdomain ({@code a.example.com}, {@code a.b.example.com}) but not {@code example.com} itself (as nginx).
 *       A configured host with a port ({@code api.example.com:8080}) is compared with the port.</li>
 *   <li>{@code path}, {@code path_prefix}: compared with the raw path of the request target (no percent-decoding,
 *       as HAProxy's {@code path} fetch); the query string is not part of the path.</li>
 *   <li>{@code path_regex}: searched in the raw path ({@link java.util.regex.Matcher#find()}); anchor with
 *       {@code ^...$} to match the whole path. The only condition that runs a regular expression.</li>
 *   <li>{@code methods}: the request's method is one of them.</li>
 *   <li>{@code headers}: for each name, some field line of that name has exactly this value.</li>
 *   <li>{@code query}: for each name, some parameter of that name has exactly this (percent-decoded) value.</li>
 * </ul>
 *
 * <p>Threading: immutable; {@link #matches(RequestTarget)} is called from every event loop.
 */
final class RouteMatcher {
    private final String host;
    private final boolean hostHasPort;
    /** For {@code *.example.com}: ".example.com". */
    private final String hostSuffix;
    private final String pathPrefix;
    private final String path;
    private final Pattern pathRegex;
    private final String[] methods;
    private final String[] headerNames;
    private final String[] headerValues;
    private final String[] queryNames;
    private final String[] queryValues;

    RouteMatcher(RouteConfig.Match match) {
        String h = match.host().map(s -> s.toLowerCase(Locale.ROOT)).orElse(null);
        if (h != null && h.startsWith("*.")) {
            hostSuffix = h.substring(1);
            host = null;
        } else {
            hostSuffix = null;
            host = h;
        }
        hostHasPort = h != null && h.indexOf(':', h.lastIndexOf(']') + 1) >= 0;
        pathPrefix = match.pathPrefix().orElse(null);
        path = match.path().orElse(null);
        pathRegex = match.pathRegex().map(Pattern::compile).orElse(null);
        List<String> m = match.methods();
        methods = m.isEmpty() ? null : m.toArray(String[]::new);
        headerNames = keys(match.headers());
        headerValues = values(match.headers(), headerNames);
        queryNames = keys(match.query());
        queryValues = values(match.query(), queryNames);
    }

    private static String[] keys(Map<String, String> map) {
        return map.isEmpty() ? null : map.keySet().stream().sorted().toArray(String[]::new);
    }

    private static String[] values(Map<String, String> map, String[] keys) {
        if (keys == null) {
            return null;
        }
        String[] v = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            v[i] = map.get(keys[i]);
        }
        return v;
    }

    boolean matches(RequestTarget target) {
        return hostMatches(target) && pathMatches(target) && methodMatches(target) && headersMatch(target)
                && queryMatches(target);
    }

    private boolean hostMatches(RequestTarget t) {
        if (host != null) {
            String actual = hostHasPort ? t.hostWithPort() : t.host();
            return actual.equalsIgnoreCase(host);
        }
        if (hostSuffix != null) {
            String actual = hostHasPort ? t.hostWithPort() : t.host();
            int n = actual.length();
            int s = hostSuffix.length();
            return n > s && actual.regionMatches(true, n - s, hostSuffix, 0, s);
        }
        return true;
    }

    private boolean pathMatches(RequestTarget t) {
        String uri = t.uri();
        int start = t.pathStart();
        if (path != null && !(t.pathLength() == path.length() && uri.startsWith(path, start))) {
            return false;
        }
        if (pathPrefix != null && !(t.pathLength() >= pathPrefix.length() && uri.startsWith(pathPrefix, start))) {
            return false;
        }
        return pathRegex == null || pathRegex.matcher(uri).region(start, t.pathEnd()).find();
    }

    private boolean methodMatches(RequestTarget t) {
        if (methods == null) {
            return true;
        }
        String method = t.request().method().name();
        for (String m : methods) {
            if (m.equals(method)) {
                return true;
            }
        }
        return false;
    }

    private boolean headersMatch(RequestTarget t) {
        if (headerNames == null) {
            return true;
        }
        for (int i = 0; i < headerNames.length; i++) {
            if (!t.request().fields().contains(headerNames[i], headerValues[i])) {
                return false;
            }
        }
        return true;
    }

    private boolean queryMatches(RequestTarget t) {
        if (queryNames == null) {
            return true;
        }
        int q = t.queryStart();
        if (q < 0) {
            return false;
        }
        for (int i = 0; i < queryNames.length; i++) {
            if (!hasParameter(t.uri(), q, queryNames[i], queryValues[i])) {
                return false;
            }
        }
        return true;
    }

    /** True when the query starting at {@code from} has {@code name=value}; decodes only pairs that need it. */
    static boolean hasParameter(String uri, int from, String name, String value) {
        int end = uri.indexOf('#', from);
        if (end < 0) {
            end = uri.length();
        }
        int pos = from;
        while (pos <= end) {
            int amp = uri.indexOf('&', pos);
            int pairEnd = amp < 0 || amp > end ? end : amp;
            int eq = uri.indexOf('=', pos);
            if (eq < 0 || eq > pairEnd) {
                eq = pairEnd;
            }
            if (pairMatches(uri, pos, eq, pairEnd, name, value)) {
                return true;
            }
            pos = pairEnd + 1;
        }
        return false;
    }

    private static boolean pairMatches(String uri, int start, int eq, int end, String name, String value) {
        String n = uri.substring(start, eq);
        String v = eq < end ? uri.substring(eq + 1, end) : "";
        return decode(n).equals(name) && decode(v).equals(value);
    }

    private static String decode(String s) {
        return s.indexOf('%') < 0 && s.indexOf('+') < 0 ? s : QueryStringDecoder.decodeComponent(s, StandardCharsets.UTF_8);
    }
}
