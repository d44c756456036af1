package dev.ferry.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the access rules ({@code allow}, {@code deny}, {@code allow_file}, {@code deny_file}) and the
 * {@code rate_limit:} of a frontend or an http route, and the network files they name (read here, at load time, so
 * {@code ferry validate} reports a bad line of such a file with its own name and line, and a reload re-reads it).
 */
final class AdmissionReader {
    static final List<String> ACCESS_KEYS = List.of("allow", "deny", "allow_file", "deny_file");
    static final List<String> RATE_LIMIT_KEYS = List.of("key", "netmask", "netmask6", "requests_per_second", "burst",
            "connections_per_second", "connections_burst", "concurrent_connections", "concurrent_requests", "status",
            "size", "expire");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final double MAX_RATE = 1_000_000_000;
    private static final int MAX_SIZE = 10_000_000;

    /** Where the rules are written, which decides what applies. */
    enum Scope {
        TCP_FRONTEND("a tcp frontend"), UDP_FRONTEND("a udp frontend"), HTTP_FRONTEND("an http frontend"),
        ROUTE("a route");

        final String words;

        Scope(String words) {
            this.words = words;
        }
    }

    private final Paths paths;

    AdmissionReader(Paths paths) {
        this.paths = paths;
    }

    /** The access rules written in {@code m}; {@link AccessRules#NONE} when none. */
    AccessRules access(YamlMap m) {
        if (ACCESS_KEYS.stream().noneMatch(m::has)) {
            return AccessRules.NONE;
        }
        List<Cidr> allow = networks(m, "allow");
        List<Cidr> deny = networks(m, "deny");
        Optional<AccessRules.NetworkFile> allowFile = file(m, "allow_file");
        Optional<AccessRules.NetworkFile> denyFile = file(m, "deny_file");
        return new AccessRules(allow, deny, allowFile, denyFile, m.has("allow") || m.has("allow_file"));
    }

    private static List<Cidr> networks(YamlMap m, String key) {
        List<Cidr> out = new ArrayList<>();
        if (!m.has(key)) {
            return out;
        }
        for (String text : m.textList(key, "a network such as 10.0.0.0/8 or ::1")) {
            try {
                out.add(Cidr.parse(text));
            } catch (IllegalArgumentException e) {
                m.problem(key, e.getMessage());
            }
        }
        return out;
    }

    private Optional<AccessRules.NetworkFile> file(YamlMap m, String key) {
        Optional<Path> path = m.parsed(key, "a file of networks, one per line", paths::resolve);
        if (path.isEmpty()) {
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(path.get(), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            m.problem(key, "cannot read the network file " + path.get() + ": " + reason(e)
                    + "; write a readable file with one network (e.g. 10.0.0.0/8) per line");
            return Optional.empty();
        }
        List<Cidr> networks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (text.isEmpty()) {
                continue;
            }
            try {
                networks.add(Cidr.parse(text));
            } catch (IllegalArgumentException e) {
                m.problems().addInFile(path.get().toString(), i + 1, 1 + line.indexOf(text), m.keyPath(key),
                        e.getMessage() + " (one network per line; # starts a comment)");
            }
        }
        return Optional.of(new AccessRules.NetworkFile(path.get(), networks));
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * The {@code rate_limit:} of {@code parent}, with the limits that do not apply to {@code scope} reported.
     *
     * @param modeKnown false when the frontend's mode is misspelt: then mode-dependent rules are not checked
     */
    Optional<RateLimitConfig> rateLimit(YamlMap parent, Scope scope, boolean modeKnown) {
        if (scope == Scope.UDP_FRONTEND && parent.has("rate_limit") && modeKnown) {
            parent.problem("rate_limit", "rate_limit applies to tcp and http frontends and to routes, not to udp "
                    + "frontends (use allow/deny there)");
        }
        return parent.map("rate_limit", RATE_LIMIT_KEYS).map(r -> rateLimit(r, modeKnown ? scope : null));
    }

    /** @param scope null when the frontend's mode is misspelt (then no mode-dependent rule is checked) */
    private static RateLimitConfig rateLimit(YamlMap r, Scope scope) {
        HashKey key = r.text("key", "source_ip, header:NAME or cookie:NAME").flatMap(k -> {
            if (k.equals("source_ip")) {
                return Optional.of(new HashKey(HashKey.Kind.SOURCE_IP, ""));
            }
            if (k.startsWith("header:") || k.startsWith("cookie:")) {
                try {
                    return Optional.of(HashKey.parse(k));
                } catch (IllegalArgumentException e) {
                    r.problem("key", e.getMessage().replace("hash_key", "key"));
                    return Optional.<HashKey>empty();
                }
            }
            r.problem("key", "'" + k + "' is not a rate-limit key; allowed: source_ip, header:NAME, cookie:NAME");
            return Optional.<HashKey>empty();
        }).orElse(new HashKey(HashKey.Kind.SOURCE_IP, ""));
        int netmask = r.integer("netmask", 32, 0, 32);
        int netmask6 = r.integer("netmask6", 128, 0, 128);
        double rps = rate(r, "requests_per_second");
        int burst = r.integer("burst", defaultBurst(rps), 1, Integer.MAX_VALUE);
        double cps = rate(r, "connections_per_second");
        int connectionsBurst = r.integer("connections_burst", defaultBurst(cps), 1, Integer.MAX_VALUE);
        int concurrentConnections = r.integer("concurrent_connections", 0, 0, Integer.MAX_VALUE);
        int concurrentRequests = r.integer("concurrent_requests", 0, 0, Integer.MAX_VALUE);
        int status = r.integer("status", RateLimitConfig.DEFAULT_STATUS, 400, 599);
        int size = r.integer("size", RateLimitConfig.DEFAULT_SIZE, 1, MAX_SIZE);
        Duration expire = r.duration("expire", RateLimitConfig.DEFAULT_EXPIRE, Duration.ofSeconds(1));
        RateLimitConfig config = new RateLimitConfig(key, netmask, netmask6, rps, burst, cps, connectionsBurst,
                concurrentConnections, concurrentRequests, status, size, expire);
        if (scope != null) {
            scopeProblems(r, scope, config);
        }
        return config;
    }

    private static void scopeProblems(YamlMap r, Scope scope, RateLimitConfig c) {
        boolean http = scope != Scope.TCP_FRONTEND;
        for (String k : List.of("requests_per_second", "burst", "concurrent_requests", "status")) {
            if (r.has(k) && !http) {
                r.problemAtKey(k, k + " limits HTTP requests; it applies to http frontends and routes, not to "
                        + scope.words + " (use connections_per_second or concurrent_connections)");
            }
        }
        for (String k : List.of("connections_per_second", "connections_burst", "concurrent_connections")) {
            if (r.has(k) && scope == Scope.ROUTE) {
                r.problemAtKey(k, k + " limits connections, which are accepted before any route is chosen; write "
                        + "it in the frontend's rate_limit");
            }
        }
        if (c.key().kind() != HashKey.Kind.SOURCE_IP && r.has("key")) {
            if (!http) {
                r.problem("key", "a tcp frontend has no headers or cookies; allowed here: source_ip");
            } else if (c.limitsConnections()) {
                r.problem("key", "connection limits are checked at accept, before any header arrives: with "
                        + "connections_per_second or concurrent_connections the key must be source_ip");
            }
        }
        boolean anyLimitWritten = List.of("requests_per_second", "connections_per_second", "concurrent_connections",
                "concurrent_requests").stream().anyMatch(r::has);
        if (!anyLimitWritten) {
            r.problemHere("rate_limit sets no limit; write " + (scope == Scope.ROUTE
                    ? "requests_per_second or concurrent_requests"
                    : scope == Scope.TCP_FRONTEND ? "connections_per_second or concurrent_connections"
                    : "requests_per_second, concurrent_requests, connections_per_second or concurrent_connections"));
        }
    }

    private static int defaultBurst(double rate) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(rate)));
    }

    /** A rate per second: a decimal number from 0.001 (0: off). */
    private static double rate(YamlMap r, String key) {
        return r.text(key, "a number of events per second such as 50 or 0.5").map(text -> {
            if (!DECIMAL.matcher(text).matches()) {
                r.problem(key, "expected a number of events per second such as 50 or 0.5, found '" + text + "'");
                return 0.0;
            }
            double v = Double.parseDouble(text);
            if (v != 0 && (v < 0.001 || v > MAX_RATE)) {
                r.problem(key, text + " is out of range; allowed: 0 (off) or 0.001 to 1000000000");
                return 0.0;
            }
            return v;
        }).orElse(0.0);
    }
}
