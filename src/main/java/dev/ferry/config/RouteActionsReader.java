package dev.ferry.config;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a route's actions ({@link RouteActions}): {@code redirect:}, {@code return:}, {@code request_headers:},
 * {@code response_headers:} and {@code path:}, checking each value and that a route has exactly one of
 * {@code backend:}, {@code redirect:} and {@code return:}. Used by one thread.
 */
final class RouteActionsReader {
    static final List<String> REDIRECT_KEYS = List.of("scheme", "host", "port", "path", "prefix", "code",
            "strip_query");
    static final List<String> RETURN_KEYS = List.of("status", "body", "content_type");
    static final List<String> HEADER_KEYS = List.of("set", "add", "remove");
    static final List<String> PATH_KEYS = List.of("strip_prefix", "replace_prefix", "regex_replace");
    static final List<String> REPLACE_PREFIX_KEYS = List.of("from", "to");
    static final List<String> REGEX_REPLACE_KEYS = List.of("pattern", "substitution");

    /**
     * Fields no rule may set, add or remove: they frame the message or speak for the connection (Ferry and the
     * codecs own them), and {@code host} is what routing, forwarding headers and HTTP/2's {@code :authority} rest on.
     */
    static final Set<String> FORBIDDEN_FIELDS = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "upgrade", "te", "trailer", "host");

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.-]+|\\[[0-9A-Fa-f:.]+]");
    /** A path for a Location or a request line: no spaces, controls, '?' or '#'. */
    private static final Pattern PATH = Pattern.compile("/[^\\s?#\\p{Cntrl}]*");
    private static final Pattern GROUP_REFERENCE = Pattern.compile("\\$(?:(\\d+)|\\{([A-Za-z][A-Za-z0-9]*)})");
    private static final Map<String, Integer> CODES = codes();

    private static Map<String, Integer> codes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        RouteActions.REDIRECT_CODES.forEach(c -> m.put(String.valueOf(c), c));
        return m;
    }

    /**
     * The actions of {@code route}; reports (and keeps out) what is wrong.
     *
     * @param pathPrefix the route's {@code match.path_prefix}, if any: what {@code prefix} and {@code replace_prefix}
     *                   replace
     * @param backend    whether the route names a backend
     */
    RouteActions read(YamlMap route, Optional<String> pathPrefix, boolean backend) {
        List<String> answers = new ArrayList<>();
        if (backend) {
            answers.add("backend");
        }
        for (String key : List.of("redirect", "return")) {
            if (route.has(key)) {
                answers.add(key);
            }
        }
        if (answers.size() > 1) {
            route.problemAtKey(answers.get(1), "a route has exactly one of backend:, redirect: and return:; this one "
                    + "has " + String.join(" and ", answers));
        }
        Optional<RouteActions.Redirect> redirect = route.map("redirect", REDIRECT_KEYS)
                .flatMap(m -> redirect(m, pathPrefix));
        Optional<RouteActions.FixedAnswer> fixed = route.map("return", RETURN_KEYS).flatMap(this::fixed);
        HeaderRules request = route.map("request_headers", HEADER_KEYS).map(RouteActionsReader::rules)
                .orElse(HeaderRules.NONE);
        HeaderRules response = route.map("response_headers", HEADER_KEYS).map(RouteActionsReader::rules)
                .orElse(HeaderRules.NONE);
        Optional<RouteActions.PathRewrite> path = route.map("path", PATH_KEYS).flatMap(m -> path(m, pathPrefix));
        boolean answersItself = !backend && !answers.isEmpty();
        if (answersItself) {
            for (String key : List.of("request_headers", "path")) {
                if (route.has(key)) {
                    route.problemAtKey(key, key + " applies to requests sent to a backend; this route answers "
                            + "itself with " + answers.getFirst() + ": (response_headers apply to its answers)");
                }
            }
        }
        return new RouteActions(redirect, fixed, request, response, path);
    }

    // ---- redirect ----

    private Optional<RouteActions.Redirect> redirect(YamlMap m, Optional<String> pathPrefix) {
        Optional<String> scheme = m.choice("scheme", Map.of("http", "http", "https", "https"));
        Optional<String> host = m.text("host", "a host name such as www.example.com").filter(h -> valid(m, "host",
                HOST.matcher(h).matches(), "'" + h + "' is not a host; write a name such as www.example.com or an "
                        + "address (IPv6 in brackets), without a port (that is port:)"));
        OptionalInt port = m.integer("port", 1, 65535).map(OptionalInt::of).orElse(OptionalInt.empty());
        Optional<String> path = m.text("path", "a path such as /new/").filter(p -> path(m, "path", p));
        Optional<String> prefix = m.text("prefix", "a path such as /new/").filter(p -> path(m, "prefix", p));
        if (m.has("path") && m.has("prefix")) {
            m.problemAtKey("prefix", "path: replaces the whole path and prefix: the matched path_prefix; give one");
        }
        if (m.has("prefix") && pathPrefix.isEmpty()) {
            m.problemAtKey("prefix", "prefix: replaces the route's match.path_prefix, and this route has none; add "
                    + "one or write path:");
        }
        int code = m.has("code") ? m.choice("code", CODES).orElse(RouteActions.DEFAULT_REDIRECT_CODE)
                : RouteActions.DEFAULT_REDIRECT_CODE;
        boolean stripQuery = m.bool("strip_query", false);
        if (List.of("scheme", "host", "port", "path", "prefix", "strip_query").stream().noneMatch(m::has)) {
            m.problemHere("this redirect changes nothing of the request's URL and would send clients back here "
                    + "forever; give scheme, host, port, path, prefix or strip_query");
        }
        return Optional.of(new RouteActions.Redirect(scheme, host, port, path, prefix, code, stripQuery));
    }

    // ---- return ----

    private Optional<RouteActions.FixedAnswer> fixed(YamlMap m) {
        Optional<Integer> status = m.integer("status", 200, 599);
        if (!m.has("status")) {
            m.missing("status", "a fixed answer needs its status (200..599)");
        }
        String body = m.has("body") ? m.quietText("body").orElseGet(() -> {
            m.text("body", "the body's text");
            return "";
        }) : "";
        int bytes = body.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > RouteActions.MAX_BODY_BYTES) {
            m.problem("body", "the body has " + bytes + " bytes; a fixed answer's body may have at most "
                    + RouteActions.MAX_BODY_BYTES + " (64KiB)");
        }
        if (!body.isEmpty() && status.filter(s -> s == 204 || s == 304).isPresent()) {
            m.problem("body", "a " + status.get() + " answer has no body (RFC 9110 15.3.5, 15.4.5); remove body:");
        }
        String contentType = m.text("content_type", "a media type such as application/json")
                .filter(t -> valid(m, "content_type", fieldValue(m, "content_type", t),
                        "")).orElse(RouteActions.DEFAULT_CONTENT_TYPE);
        return status.map(s -> new RouteActions.FixedAnswer(s, body, contentType));
    }

    // ---- header rules ----

    /** A {@code request_headers:} or {@code response_headers:} block (of a route or of a frontend). */
    static HeaderRules rules(YamlMap m) {
        List<HeaderRules.Field> set = fields(m, "set");
        List<HeaderRules.Field> add = fields(m, "add");
        List<String> remove = new ArrayList<>();
        for (String name : m.textList("remove", "a header name")) {
            if (fieldName(m, "remove", name, false)) {
                remove.add(name.toLowerCase(Locale.ROOT));
            }
        }
        return new HeaderRules(set, add, remove);
    }

    private static List<HeaderRules.Field> fields(YamlMap rules, String key) {
        List<HeaderRules.Field> fields = new ArrayList<>();
        rules.map(key, null).ifPresent(m -> {
            for (String name : m.keys()) {
                if (!fieldName(m, name, name, true)) {
                    continue;
                }
                m.text(name, "the header's value").ifPresent(text -> {
                    try {
                        fields.add(new HeaderRules.Field(name.toLowerCase(Locale.ROOT), ValueTemplate.parse(text)));
                    } catch (IllegalArgumentException e) {
                        m.problem(name, e.getMessage());
                    }
                });
            }
        });
        return fields;
    }

    /** @param atKey whether the name is a mapping key (problem at the key) or a list item (at {@code key}'s value) */
    private static boolean fieldName(YamlMap m, String key, String name, boolean atKey) {
        String problem = null;
        if (!TOKEN.matcher(name).matches()) {
            problem = "'" + name + "' is not an HTTP header name; names are letters, digits and - (e.g. X-Served-By)"
                    + (name.startsWith(":") ? "; pseudo-headers are not headers to rewrite" : "");
        } else if (FORBIDDEN_FIELDS.contains(name.toLowerCase(Locale.ROOT))) {
            problem = "'" + name + "' may not be rewritten: Ferry keeps the fields that frame the message or speak "
                    + "for the connection, and Host (not allowed: " + String.join(", ", FORBIDDEN_FIELDS.stream()
                    .sorted().toList()) + ")";
        }
        if (problem == null) {
            return true;
        }
        if (atKey) {
            m.problemAtKey(key, problem);
        } else {
            m.problem(key, problem);
        }
        return false;
    }

    // ---- path ----

    private Optional<RouteActions.PathRewrite> path(YamlMap m, Optional<String> pathPrefix) {
        List<String> kinds = PATH_KEYS.stream().filter(m::has).toList();
        if (kinds.isEmpty()) {
            m.problemHere("path: needs one of strip_prefix, replace_prefix, regex_replace");
            return Optional.empty();
        }
        if (kinds.size() > 1) {
            m.problemAtKey(kinds.get(1), "path: takes one of strip_prefix, replace_prefix, regex_replace; this one "
                    + "has " + String.join(" and ", kinds));
            return Optional.empty();
        }
        return switch (kinds.getFirst()) {
            case "strip_prefix" -> m.text("strip_prefix", "a path such as /api").filter(p -> path(m, "strip_prefix", p))
                    .map(p -> new RouteActions.PathRewrite(p, "", false));
            case "replace_prefix" -> m.map("replace_prefix", REPLACE_PREFIX_KEYS).flatMap(r -> {
                Optional<String> from = r.text("from", "a path such as /api/").filter(p -> path(r, "from", p));
                if (!r.has("from") && pathPrefix.isEmpty()) {
                    r.missing("from", "without from: the route's match.path_prefix is replaced, and this route has "
                            + "none");
                }
                Optional<String> to = r.text("to", "a path such as /v2/").filter(p -> path(r, "to", p));
                if (!r.has("to")) {
                    r.missing("to", "replace_prefix needs the path that replaces the prefix");
                }
                Optional<String> f = r.has("from") ? from : pathPrefix;
                return f.isPresent() && to.isPresent()
                        ? Optional.of(new RouteActions.PathRewrite(f.get(), to.get(), false)) : Optional.empty();
            });
            default -> m.map("regex_replace", REGEX_REPLACE_KEYS).flatMap(this::regexReplace);
        };
    }

    private Optional<RouteActions.PathRewrite> regexReplace(YamlMap r) {
        if (!r.has("pattern")) {
            r.missing("pattern", "regex_replace needs the regular expression to replace");
        }
        if (!r.has("substitution")) {
            r.missing("substitution", "regex_replace needs what replaces each match ($1 for a group)");
        }
        Optional<Pattern> pattern = r.text("pattern", "a regular expression").flatMap(text -> {
            try {
                return Optional.of(Pattern.compile(text));
            } catch (PatternSyntaxException e) {
                r.problem("pattern", "'" + text + "' is not a valid regular expression: " + e.getDescription()
                        + " near index " + e.getIndex());
                return Optional.empty();
            }
        });
        Optional<String> substitution = r.has("substitution") ? Optional.of(r.quietText("substitution").orElse(""))
                : Optional.empty();
        if (pattern.isEmpty() || substitution.isEmpty()) {
            return Optional.empty();
        }
        String sub = substitution.get();
        Matcher refs = GROUP_REFERENCE.matcher(sub);
        while (refs.find()) {
            Pattern p = pattern.get();
            boolean ok = refs.group(1) != null
                    ? Integer.parseInt(refs.group(1)) <= p.matcher("").groupCount()
                    : p.namedGroups().containsKey(refs.group(2));
            if (!ok) {
                r.problem("substitution", "'" + refs.group() + "' names no group of the pattern '" + p.pattern()
                        + "' (it has " + p.matcher("").groupCount() + ")");
                return Optional.empty();
            }
        }
        if (sub.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            r.problem("substitution", "'" + sub + "' holds white space or a control character, which a path cannot");
            return Optional.empty();
        }
        return Optional.of(new RouteActions.PathRewrite(pattern.get().pattern(), sub, true));
    }

    private static boolean path(YamlMap m, String key, String path) {
        return valid(m, key, PATH.matcher(path).matches(), "'" + path + "' is not a path; paths start with '/' and "
                + "hold no spaces, '?' or '#'");
    }

    private static boolean fieldValue(YamlMap m, String key, String value) {
        try {
            ValueTemplate t = ValueTemplate.parse(value.replace("$", "$$"));
            return t != null;
        } catch (IllegalArgumentException e) {
            m.problem(key, e.getMessage());
            return false;
        }
    }

    private static boolean valid(YamlMap m, String key, boolean ok, String message) {
        if (!ok && !message.isEmpty()) {
            m.problem(key, message);
        }
        return ok;
    }
}
