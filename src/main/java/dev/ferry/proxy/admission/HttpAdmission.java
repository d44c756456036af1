package dev.ferry.proxy.admission;

import dev.ferry.config.AccessRules;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.RateLimitConfig;
import dev.ferry.config.RouteConfig;
import dev.ferry.schedule.hash.HttpRequestView;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The layer-7 admission of an http frontend: its own access rules and request limits, checked before routing, and
 * each route's, checked once the route is chosen. A refused source gets 403; a request over a limit gets the rule's
 * status (429 by default) with {@code Retry-After}. Connection limits of the frontend's {@code rate_limit} are not
 * here: they are checked at accept ({@link ConnectionGate}).
 *
 * <p>Threading: immutable (rebuilt on reload, keeping the key tables of rules whose limit did not change); any
 * thread. Without any rule {@link #active()} is false and the exchange skips admission altogether.
 */
public final class HttpAdmission {
    /** No rules. */
    public static final HttpAdmission NONE = new HttpAdmission(null, Map.of());

    /** One rule: its access policy (or null) and its request limiter (or null). */
    private record Rule(AccessPolicy access, RateLimiter limiter, RuleStats stats) {
        boolean admits(RequestPass pass, InetSocketAddress source, HttpRequestView view, long now) {
            if (access != null && !access.admits(source.getAddress())) {
                stats.denied();
                pass.refuse(403, 0, "this client's address may not use this service");
                return false;
            }
            return limiter == null || limiter.admitRequest(limiter.requestKey(source, view), now, pass);
        }
    }

    private final Rule frontend;
    private final Map<String, Rule> routes;

    private HttpAdmission(Rule frontend, Map<String, Rule> routes) {
        this.frontend = frontend;
        this.routes = routes;
    }

    /**
     * The admission of {@code config}.
     *
     * @param stats    the frontend's rule counters (kept over reloads)
     * @param previous the admission in force until now (its key tables are kept where the limit is the same)
     */
    public static HttpAdmission of(FrontendConfig config, AdmissionStats stats, HttpAdmission previous) {
        HttpAdmission before = previous == null ? NONE : previous;
        Rule own = rule(config.access(), config.rateLimit(), stats, AdmissionStats.FRONTEND, before.frontend);
        Map<String, Rule> routes = new HashMap<>();
        for (int i = 0; i < config.routes().size(); i++) {
            RouteConfig rc = config.routes().get(i);
            String name = "routes[" + i + "]";
            Rule r = rule(rc.access(), rc.rateLimit(), stats, name, before.routes.get(name));
            if (r != null) {
                routes.put(name, r);
            }
        }
        for (RuleStats r : stats.rules()) {
            // A route a reload removed (or that lost its rules) tracks no keys any more; its counters stay.
            if (!r.rule().equals(AdmissionStats.FRONTEND) && !routes.containsKey(r.rule())) {
                r.table(null);
            }
        }
        return own == null && routes.isEmpty() ? NONE : new HttpAdmission(own, Map.copyOf(routes));
    }

    private static Rule rule(AccessRules access, Optional<RateLimitConfig> limit, AdmissionStats all, String name,
                             Rule previous) {
        if (access.isEmpty() && limit.isEmpty()) {
            RuleStats had = all.existing(name);
            if (had != null) {
                had.table(null);
            }
            return null;
        }
        RuleStats stats = all.rule(name);
        RateLimiter limiter = limit.map(l -> RateLimiter.of(l, stats, previous == null ? null : previous.limiter))
                .orElse(null);
        if (limiter == null) {
            stats.table(null);
        }
        return new Rule(access.isEmpty() ? null : AccessPolicy.of(access), limiter, stats);
    }

    /**
     * The limiter of the frontend's own {@code rate_limit} (null without one), which the {@link ConnectionGate} shares
     * for the connection limits, so that one rule has one key table.
     */
    public RateLimiter frontendLimiter() {
        return frontend == null ? null : frontend.limiter;
    }

    /** Whether any rule exists (else nothing needs checking). */
    public boolean active() {
        return this != NONE;
    }

    /** Whether some rule keys by a header or cookie (then the caller passes a view of the request). */
    public boolean readsRequest() {
        return (frontend != null && frontend.limiter != null && frontend.limiter.keysByRequest())
                || routes.values().stream().anyMatch(r -> r.limiter != null && r.limiter.keysByRequest());
    }

    /** The frontend's own rules, before routing: whether the request may go on (else {@code pass} says why not). */
    public boolean admitsBeforeRouting(RequestPass pass, InetSocketAddress source, HttpRequestView view, long now) {
        return frontend == null || frontend.admits(pass, source, view, now);
    }

    /** The rules of the route the request took ({@code routes[N]}; other names have none). */
    public boolean admitsOnRoute(String route, RequestPass pass, InetSocketAddress source, HttpRequestView view,
                                 long now) {
        Rule r = routes.get(route);
        return r == null || r.admits(pass, source, view, now);
    }
}
