package dev.ferry.backend;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Tells the log when a backend is left with no server that takes new connections (at WARN, once) and when it has one
 * again (once), however that came about: health checks, ejection, maintenance, drain, weights, servers removed.
 *
 * <p>Threading: {@link #update} is called by its {@link Backend} under the backend's lock, after each new snapshot.
 */
final class Availability {
    private static final Logger log = LoggerFactory.getLogger(Backend.class);

    private final String backend;
    /** Null before the first snapshot. */
    private Boolean anyUp;

    Availability(String backend) {
        this.backend = backend;
    }

    /** Takes note of the servers after a rebuild (every server, in list order, with their new weights). */
    void update(List<Server> servers) {
        boolean up = servers.stream().anyMatch(s -> s.index() >= 0 && s.weight() > 0);
        Boolean was = anyUp;
        anyUp = up;
        if (was == null) {
            // At start a backend whose servers are still to be found (DNS) says nothing yet.
            if (!up && !servers.isEmpty()) {
                log.warn("backend '{}' has no server up ({}); its new connections are refused", backend,
                        describe(servers));
            }
            return;
        }
        if (was && !up) {
            log.warn("backend '{}' has no server up ({}); its new connections are refused", backend,
                    servers.isEmpty() ? "no servers" : describe(servers));
        } else if (!was && up) {
            log.info("backend '{}' has a server up again: {}", backend, servers.stream()
                    .filter(s -> s.index() >= 0 && s.weight() > 0).map(Server::name).collect(Collectors.joining(", ")));
        }
    }

    private static String describe(List<Server> servers) {
        return servers.stream().map(s -> s.name() + ": " + why(s)).collect(Collectors.joining(", "));
    }

    private static String why(Server s) {
        if (s.state() == ServerState.MAINT) {
            return "maint";
        }
        if (!s.healthy()) {
            return "down";
        }
        if (s.ejected()) {
            return "ejected";
        }
        if (s.state() == ServerState.DRAIN) {
            return "drain";
        }
        return "weight 0";
    }
}
