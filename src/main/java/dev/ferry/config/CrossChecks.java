package dev.ferry.config;

import org.yaml.snakeyaml.nodes.Node;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks that span sections: unique frontend and backend names, backend references that resolve, and listen
 * addresses that do not collide. Readers register what they find while reading; {@link #finish()} reports what only
 * the whole file can tell. Used by one thread.
 */
final class CrossChecks {
    /** Where something was written: its node and key path, for messages that point back to it. */
    private record Site(String text, Node node, String key) {
        String where() {
            return key + " (line " + (node.getStartMark().getLine() + 1) + ")";
        }
    }

    private record Listener(HostPort address, boolean udp, Site site) {
    }

    private final Problems problems;
    private final Map<String, Site> frontends = new LinkedHashMap<>();
    private final Map<String, Site> backends = new LinkedHashMap<>();
    private final List<Site> backendReferences = new ArrayList<>();
    /** Backends some http frontend or route sends to. */
    private final Set<String> backendsOfHttp = new HashSet<>();
    /** Keys of a backend that only http traffic uses ({@code sticky}, {@code stick}), by where they are written. */
    private final List<Site> httpOnlyKeys = new ArrayList<>();
    private final List<Listener> listeners = new ArrayList<>();

    CrossChecks(Problems problems) {
        this.problems = problems;
    }

    void frontendName(String name, Node node, String key) {
        unique("frontend", frontends, new Site(name, node, key));
    }

    void backendName(String name, Node node, String key) {
        unique("backend", backends, new Site(name, node, key));
    }

    /**
     * A place that names a backend ({@code backend: web} of a frontend, route, DNS record or director service);
     * {@code http} when http requests go there (an http frontend or a route).
     */
    void backendReference(String name, Node node, String key, boolean http) {
        backendReferences.add(new Site(name, node, key));
        if (http) {
            backendsOfHttp.add(name);
        }
    }

    /** A key of backend {@code backend} that has an effect only on http requests ({@code sticky}, {@code stick}). */
    void httpOnlyBackendKey(String backend, Node node, String key) {
        httpOnlyKeys.add(new Site(backend, node, key));
    }

    /** An address bound by a frontend or the admin listener; udp ones only collide with udp ones. */
    void listen(HostPort address, boolean udp, Node node, String key) {
        Site site = new Site(address.toString(), node, key);
        if (address.port() != 0) {
            for (Listener earlier : listeners) {
                if (earlier.udp() == udp && earlier.address().port() == address.port()
                        && overlap(earlier.address().host(), address.host())) {
                    String clash = earlier.address().equals(address)
                            ? " is already used by " + earlier.site().where()
                            : " overlaps " + earlier.site().where() + ", which listens on " + earlier.address();
                    problems.add(node, key, address + clash + "; each " + (udp ? "udp" : "tcp")
                            + " address and port can be listened on once");
                    return;
                }
            }
        }
        listeners.add(new Listener(address, udp, site));
    }

    /** Reports backend references that name no backend; call once every section has been read. */
    void finish() {
        for (Site reference : backendReferences) {
            if (backends.containsKey(reference.text())) {
                continue;
            }
            String message = "no backend named '" + reference.text() + "'";
            if (backends.isEmpty()) {
                message += "; the file defines no backends (add them under backends:)";
            } else {
                message += Suggestions.closest(reference.text(), backends.keySet())
                        .map(s -> "; did you mean '" + s + "'?").orElse(";")
                        + " backends defined: " + String.join(", ", backends.keySet());
            }
            problems.add(reference.node(), reference.key(), message);
        }
        for (Site site : httpOnlyKeys) {
            boolean used = backendReferences.stream().anyMatch(r -> r.text().equals(site.text()));
            if (used && !backendsOfHttp.contains(site.text())) {
                String what = site.key().substring(site.key().lastIndexOf('.') + 1);
                problems.add(site.node(), site.key(), what + " applies to http requests, and backend '" + site.text()
                        + "' is used only by tcp or udp frontends, DNS records or director services; at layer 4 "
                        + "keep a client on one server with persistence: on the frontend (or the director service)");
            }
        }
    }

    private void unique(String kind, Map<String, Site> seen, Site site) {
        Site earlier = seen.putIfAbsent(site.text(), site);
        if (earlier != null) {
            problems.add(site.node(), site.key(), "duplicate " + kind + " name '" + site.text() + "'; "
                    + earlier.where() + " already uses it");
        }
    }

    private static boolean overlap(String a, String b) {
        return isWildcard(a) || isWildcard(b) || a.toLowerCase(Locale.ROOT).equals(b.toLowerCase(Locale.ROOT));
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }
}
