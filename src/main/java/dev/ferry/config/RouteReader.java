package dev.ferry.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads the {@code routes:} of an http frontend into {@link RouteConfig}s, checking each condition. */
final class RouteReader {
    static final List<String> KEYS = List.of("match", "backend", "redirect", "return", "request_headers",
            "response_headers", "path", "allow", "deny", "allow_file", "deny_file", "rate_limit");
    static final List<String> MATCH_KEYS = List.of("host", "path_prefix", "path", "path_regex", "methods", "headers",
            "query");
    // RFC 9110 token characters: what a method or header name may be made of.
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?[A-Za-z0-9_.-]+(:[0-9]{1,5})?");

    private final CrossChecks crossChecks;
    private final RouteActionsReader actionsReader = new RouteActionsReader();
    private final AdmissionReader admission;

    RouteReader(CrossChecks crossChecks, AdmissionReader admission) {
        this.crossChecks = crossChecks;
        this.admission = admission;
    }

    /** Reads every route of {@code frontend}; a route after a catch-all is reported as unreachable. */
    List<RouteConfig> readAll(YamlMap frontend) {
        List<RouteConfig> routes = new ArrayList<>();
        String catchAll = null;
        for (YamlMap route : frontend.mapList("routes", KEYS)) {
            if (catchAll != null) {
                route.problemHere("this route can never match: " + catchAll
                        + " before it matches every request; put the route without match: last");
            }
            RouteConfig config = readRoute(route);
            routes.add(config);
            if (catchAll == null && config.match().isEmpty()) {
                catchAll = route.path();
            }
        }
        return routes;
    }

    private RouteConfig readRoute(YamlMap route) {
        Optional<RouteConfig.Match> match = route.map("match", MATCH_KEYS).flatMap(this::match);
        String backend = route.name("backend").orElse(null);
        if (backend != null) {
            crossChecks.backendReference(backend, route.value("backend").orElseThrow(), route.keyPath("backend"),
                    true);
        } else if (!route.has("backend") && !route.has("redirect") && !route.has("return")) {
            route.missing("backend", "every route names the backend its requests go to, or answers itself with "
                    + "redirect: or return:");
        }
        RouteActions actions = actionsReader.read(route, match.flatMap(RouteConfig.Match::pathPrefix),
                route.has("backend"));
        return new RouteConfig(match, backend, actions, admission.access(route),
                admission.rateLimit(route, AdmissionReader.Scope.ROUTE, true));
    }

    /** The conditions of {@code match:}; empty when it sets none, which makes the route a catch-all. */
    private Optional<RouteConfig.Match> match(YamlMap m) {
        Optional<String> host = m.text("host", "a host name such as api.example.com or *.example.com")
                .filter(h -> valid(m, "host", HOST.matcher(h).matches(),
                        "'" + h + "' is not a host; write a name such as api.example.com, or *.example.com for "
                                + "subdomains"));
        Optional<String> pathPrefix = m.text("path_prefix", "a path such as /v1/")
                .filter(p -> path(m, "path_prefix", p));
        Optional<String> path = m.text("path", "a path such as /health").filter(p -> path(m, "path", p));
        Optional<String> pathRegex = m.text("path_regex", "a regular expression").filter(r -> regex(m, r));
        List<String> methods = new ArrayList<>();
        for (String method : m.textList("methods", "a method name such as GET")) {
            if (TOKEN.matcher(method).matches()) {
                methods.add(method.toUpperCase(Locale.ROOT));
            } else {
                m.problem("methods", "'" + method + "' is not an HTTP method name; write names such as GET, POST");
            }
        }
        Map<String, String> headers = m.textMap("headers", "the exact header value");
        headers.keySet().stream().filter(name -> !TOKEN.matcher(name).matches()).forEach(name -> m.problem("headers",
                "'" + name + "' is not an HTTP header name; names are letters, digits and - (e.g. X-Canary)"));
        Map<String, String> query = m.textMap("query", "the exact parameter value");
        if (m.keys().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RouteConfig.Match(host, pathPrefix, path, pathRegex, methods, headers, query));
    }

    private static boolean path(YamlMap m, String key, String path) {
        return valid(m, key, path.startsWith("/"), "'" + path + "' is not a path; paths start with '/'");
    }

    private static boolean regex(YamlMap m, String regex) {
        try {
            Pattern.compile(regex);
            return true;
        } catch (PatternSyntaxException e) {
            m.problem("path_regex", "'" + regex + "' is not a valid regular expression: " + e.getDescription()
                    + " near index " + e.getIndex());
            return false;
        }
    }

    private static boolean valid(YamlMap m, String key, boolean ok, String message) {
        if (!ok) {
            m.problem(key, message);
        }
        return ok;
    }
}
