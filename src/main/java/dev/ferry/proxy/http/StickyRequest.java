package dev.ferry.proxy.http;

import dev.ferry.backend.Affinity;
import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.StickTable;
import dev.ferry.backend.StickinessStats;
import dev.ferry.backend.StickyCookie;
import dev.ferry.config.HashKey;
import dev.ferry.config.StickyConfig;
import dev.ferry.schedule.PickContext;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One request's part in its backend's stickiness ({@link Affinity}): reads (and for the server, rewrites) the sticky
 * cookie of the request, looks its stick-table key up, picks the server they name when that server may take it, and
 * marks the response: a new or refreshed {@code Set-Cookie} (insert mode), the server's own cookie prefixed with its
 * id (prefix mode), the table entry of the server that served.
 *
 * <p>A named server takes the request while it is a member of its backend (up, not ejected, not in maintenance, not
 * removed) and not at its {@code max_connections}, and the request does not avoid it (a retry); a draining server
 * keeps its sticky clients (HAProxy). Otherwise the scheduler picks, through the same path as any request, so the
 * server's active and inactive counts are kept by the attempt's lease whichever way the server was chosen.
 *
 * <p>Modes of the cookie ({@code sticky.mode}):
 * <ul>
 *   <li>{@code insert}: Ferry's own cookie, removed from the request the server gets; set on the response when the
 *       request had none that held, when it went to another server, or to refresh {@code idle};</li>
 *   <li>{@code prefix}: the server's cookie of that name, {@code NAME=ID~VALUE} at the client (HAProxy
 *       {@code cookie prefix}); the server sees {@code NAME=VALUE} and its {@code Set-Cookie} gets the prefix;</li>
 *   <li>{@code passive}: the server sets the cookie itself, to the value Ferry gives it in the request header
 *       {@value #PASSIVE_HEADER}; Ferry only reads it and passes it on untouched.</li>
 * </ul>
 *
 * <p>Threading: one request, on its event loop.
 */
final class StickyRequest {
    /** Passive mode: the request header that tells the server the cookie value that keeps clients on it. */
    static final String PASSIVE_HEADER = "x-ferry-sticky";
    /** Prefix mode: between the server's id and the server's own value (HAProxy's delimiter). */
    static final char PREFIX_DELIMITER = '~';

    private final RequestHeaders request;
    private final StickyCookie cookie;
    private final StickTable table;
    /** The cookie's valid value, naming a server of the backend (that may not take requests now); or null. */
    private final StickyCookie.Hit hit;
    /** The request's stick-table key, or null (none, or no table). */
    private final String stickKey;
    /** Whether {@link #stickKey} is a cookie the server may set (learned from the response when absent). */
    private final String stickCookie;
    /** The server the table named and that took the request; null when the table named none that could. */
    private Server stuck;

    private StickyRequest(RequestHeaders request, StickyCookie cookie, StickTable table, StickyCookie.Hit hit,
                          String stickKey, String stickCookie) {
        this.request = request;
        this.cookie = cookie;
        this.table = table;
        this.hit = hit;
        this.stickKey = stickKey;
        this.stickCookie = stickCookie;
    }

    /**
     * The request's stickiness on {@code backend}, or null when the backend has none. Takes the sticky cookie out of
     * the request (insert mode) or its prefix off (prefix mode).
     */
    static StickyRequest of(Backend backend, RequestHeaders request, InetSocketAddress source) {
        Affinity affinity = backend.affinity();
        if (affinity.isEmpty()) {
            return null;
        }
        StickTable table = affinity.table().orElse(null);
        String stickKey = null;
        String stickCookie = null;
        if (table != null) {
            HashKey on = table.key();
            stickKey = switch (on.kind()) {
                case HEADER -> request.fields().get(on.name());
                case COOKIE -> cookieValue(request.fields().getAll("cookie"), on.name());
                default -> source.getAddress().getHostAddress();
            };
            if (stickKey != null && stickKey.isEmpty()) {
                stickKey = null;
            }
            stickCookie = on.kind() == HashKey.Kind.COOKIE ? on.name() : null;
        }
        StickyCookie cookie = affinity.cookie().orElse(null);
        StickyCookie.Hit hit = cookie == null ? null : readCookie(request, cookie);
        return new StickyRequest(request, cookie, table, hit, stickKey, stickCookie);
    }

    /** Finds the sticky cookie and rewrites the request's cookies for the server as the mode asks. */
    private static StickyCookie.Hit readCookie(RequestHeaders request, StickyCookie cookie) {
        List<String> headers = request.fields().getAll("cookie");
        if (headers.isEmpty()) {
            return null;
        }
        StickyConfig config = cookie.config();
        String name = config.cookie();
        StickyCookie.Hit hit = null;
        boolean rewrite = false;
        StringBuilder kept = new StringBuilder();
        for (String header : headers) {
            int at = 0;
            int length = header.length();
            while (at < length) {
                int end = header.indexOf(';', at);
                if (end < 0) {
                    end = length;
                }
                String pair = header.substring(at, end).strip();
                at = end + 1;
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String value = eq > 0 && pair.substring(0, eq).strip().equals(name) ? pair.substring(eq + 1).strip()
                        : null;
                if (value == null) {
                    append(kept, pair);
                    continue;
                }
                switch (config.mode()) {
                    case INSERT -> {
                        rewrite = true; // Ferry's cookie, not the server's
                        if (hit == null) {
                            hit = cookie.resolve(value);
                        }
                    }
                    case PREFIX -> {
                        int delimiter = value.indexOf(PREFIX_DELIMITER);
                        if (delimiter > 0 && StickyCookie.looksLikeValue(value.substring(0, delimiter))) {
                            rewrite = true;
                            if (hit == null) {
                                hit = cookie.resolve(value.substring(0, delimiter));
                            }
                            append(kept, name + "=" + value.substring(delimiter + 1));
                        } else {
                            append(kept, pair);
                        }
                    }
                    case PASSIVE -> {
                        if (hit == null) {
                            hit = cookie.resolve(value);
                        }
                        append(kept, pair);
                    }
                }
            }
        }
        if (rewrite || headers.size() > 1) {
            if (kept.isEmpty()) {
                request.fields().remove("cookie");
            } else {
                request.fields().set("cookie", kept.toString());
            }
        }
        return hit;
    }

    private static void append(StringBuilder sb, String pair) {
        if (!sb.isEmpty()) {
            sb.append("; ");
        }
        sb.append(pair);
    }

    /** The value of cookie {@code name} in the request's {@code Cookie} fields, or null. */
    private static String cookieValue(List<String> headers, String name) {
        for (String header : headers) {
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).strip().equals(name)) {
                    return pair.substring(eq + 1).strip();
                }
            }
        }
        return null;
    }

    /**
     * The server for this try: the cookie's, else the stick table's, when it may take the request; else the
     * scheduler's choice (null when none). In passive mode, tells the chosen server its cookie value.
     */
    Server pick(Backend backend, PickContext context) {
        Server chosen = null;
        StickinessStats.Outcome outcome = StickinessStats.Outcome.SCHEDULED;
        if (hit != null && takes(hit.server(), context)) {
            chosen = hit.server();
            outcome = StickinessStats.Outcome.COOKIE;
        } else if (hit != null) {
            outcome = StickinessStats.Outcome.MOVED;
        }
        if (chosen == null && stickKey != null) {
            Server s = table.lookup(stickKey);
            if (s != null && takes(s, context)) {
                chosen = s;
                stuck = s;
                outcome = StickinessStats.Outcome.TABLE;
            } else if (s != null || table.holds(stickKey)) {
                outcome = StickinessStats.Outcome.MOVED;
            }
        }
        if (chosen == null) {
            chosen = backend.pick(context);
        }
        if (context.attempt() == 0) {
            backend.stickiness().count(outcome);
        }
        if (chosen != null && cookie != null && cookie.config().mode() == StickyConfig.Mode.PASSIVE) {
            request.fields().set(PASSIVE_HEADER, cookie.idValue(chosen));
        }
        return chosen;
    }

    private static boolean takes(Server s, PickContext context) {
        return s.takesPersistentClients() && !s.isOverloaded() && !context.avoids(s);
    }

    /** The final response head from {@code served}: the cookie and the table say it served. */
    void response(Server served, ResponseHeaders response) {
        HeaderFields fields = response.fields();
        if (table != null) {
            if (stickKey != null && stuck != served) {
                table.store(stickKey, served);
            } else if (stickKey == null && stickCookie != null) {
                String learned = setCookieValue(fields.getAll("set-cookie"), stickCookie);
                if (learned != null && !learned.isEmpty()) {
                    table.store(learned, served);
                }
            }
        }
        if (cookie == null) {
            return;
        }
        switch (cookie.config().mode()) {
            case INSERT -> {
                if (hit == null || hit.server() != served) {
                    fields.add("set-cookie", cookie.setCookie(cookie.insertValue(served, cookie.nowSeconds())));
                } else if (cookie.wantsRefresh(hit)) {
                    fields.add("set-cookie", cookie.setCookie(cookie.insertValue(served, hit.firstSeen())));
                }
            }
            case PREFIX -> prefixServerCookie(fields, served);
            case PASSIVE -> {
            }
        }
    }

    /** Prefix mode: the server's {@code Set-Cookie: NAME=VALUE} becomes {@code NAME=ID~VALUE}. */
    private void prefixServerCookie(HeaderFields fields, Server served) {
        List<String> all = fields.getAll("set-cookie");
        String name = cookie.config().cookie();
        List<String> out = new ArrayList<>(all.size());
        boolean changed = false;
        for (String setCookie : all) {
            int eq = setCookie.indexOf('=');
            if (eq > 0 && setCookie.substring(0, eq).strip().equals(name)) {
                out.add(name + "=" + cookie.idValue(served) + PREFIX_DELIMITER + setCookie.substring(eq + 1).stripLeading());
                changed = true;
            } else {
                out.add(setCookie);
            }
        }
        if (changed) {
            fields.remove("set-cookie");
            out.forEach(v -> fields.add("set-cookie", v));
        }
    }

    /** The value a {@code Set-Cookie} field gives cookie {@code name}, or null. */
    private static String setCookieValue(List<String> setCookies, String name) {
        for (String setCookie : setCookies) {
            int eq = setCookie.indexOf('=');
            if (eq > 0 && setCookie.substring(0, eq).strip().equals(name)) {
                int end = setCookie.indexOf(';', eq);
                return setCookie.substring(eq + 1, end < 0 ? setCookie.length() : end).strip();
            }
        }
        return null;
    }
}
