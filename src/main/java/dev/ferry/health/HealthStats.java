package dev.ferry.health;

import dev.ferry.backend.Server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ServerHealth} of every server of one backend, created on first use.
 *
 * <p>Threading: safe from any thread.
 */
public final class HealthStats {
    private final Map<Server, ServerHealth> byServer = new ConcurrentHashMap<>();

    /** The health record of {@code server} (never null). */
    public ServerHealth of(Server server) {
        return byServer.computeIfAbsent(server, s -> new ServerHealth());
    }
}
