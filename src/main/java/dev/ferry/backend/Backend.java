package dev.ferry.backend;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.ServerConfig;
import dev.ferry.schedule.PickContext;
import dev.ferry.schedule.Scheduler;
import dev.ferry.schedule.Schedulers;
import dev.ferry.schedule.hash.HashKeyExtractor;
import dev.ferry.schedule.hash.HashKeys;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A pool of servers with its scheduler. Owns the servers' membership and effective weights: every change goes
 * through this class, which recomputes effective weights, publishes a new {@link BackendSnapshot} and hands it to
 * the scheduler.
 *
 * <p>Threading: {@link #pick(PickContext)} and {@link #snapshot()} are lock-free and called from any event loop.
 * Changes (weights, states, health, membership) are {@code synchronized} on this backend and may come from any
 * thread (admin API, health checks, reload); they never run on the pick path.
 */
public final class Backend {
    private final String name;
    private final BackendConfig config;
    private final Scheduler scheduler;
    private final HashKeyExtractor hashKey;
    /** Every server, in list order, whatever its state: members and non-members. */
    private final List<Server> servers = new CopyOnWriteArrayList<>();
    private volatile BackendSnapshot snapshot = BackendSnapshot.EMPTY;

    /**
     * Builds a backend from its configuration. Server addresses are resolved here (blocking): call off the event
     * loops.
     */
    public Backend(BackendConfig config) {
        this.name = config.name();
        this.config = config;
        this.scheduler = Schedulers.create(config.scheduler());
        this.hashKey = HashKeys.parse(config.hashKey());
        for (ServerConfig sc : config.servers()) {
            servers.add(newServer(sc.name(), sc.address().resolve(), sc));
        }
        rebuild();
    }

    private Server newServer(String serverName, InetSocketAddress address, ServerConfig sc) {
        return new Server(this, serverName, address, sc.weight(), sc.maxConnections(), sc.sendProxy());
    }

    public String name() {
        return name;
    }

    public BackendConfig config() {
        return config;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    /** How this backend's hashing schedulers key a connection or request ({@code hash_key}). */
    public HashKeyExtractor hashKey() {
        return hashKey;
    }

    /** All servers in list order, including those that are down or in maintenance. */
    public List<Server> servers() {
        return List.copyOf(servers);
    }

    public Optional<Server> server(String serverName) {
        return servers.stream().filter(s -> s.name().equals(serverName)).findFirst();
    }

    /** The members the scheduler currently chooses from. */
    public BackendSnapshot snapshot() {
        return snapshot;
    }

    /** Chooses a server, or null when none can take the connection. Lock-free. */
    public Server pick(PickContext context) {
        return scheduler.pick(context);
    }

    public synchronized void setWeight(Server server, int weight) {
        server.setConfiguredWeight(weight);
        rebuild();
    }

    public synchronized void setState(Server server, ServerState state) {
        server.setState(state);
        rebuild();
    }

    public synchronized void setHealthy(Server server, boolean healthy) {
        if (server.healthy() != healthy) {
            server.setHealthy(healthy);
            rebuild();
        }
    }

    void loadChanged(Server server) {
        scheduler.loadChanged(server);
    }

    private void rebuild() {
        List<Server> members = new ArrayList<>(servers.size());
        for (Server s : servers) {
            s.setWeight(s.state() == ServerState.DRAIN ? 0 : s.configuredWeight());
            if (s.isMember()) {
                s.setIndex(members.size());
                members.add(s);
            } else {
                s.setIndex(-1);
            }
        }
        BackendSnapshot next = new BackendSnapshot(members, snapshot.version() + 1);
        snapshot = next;
        scheduler.update(next);
    }

    @Override
    public String toString() {
        return name;
    }
}
