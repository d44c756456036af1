package dev.ferry.backend;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.ProxyProtocolVersion;
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
     * loops. Entries found by DNS ({@link ServerConfig#discovery()}) add no server here: service discovery adds
     * them through {@link #addServer}.
     */
    public Backend(BackendConfig config) {
        this.name = config.name();
        this.config = config;
        this.scheduler = Schedulers.create(config.scheduler());
        this.hashKey = HashKeys.parse(config.hashKey());
        for (ServerConfig sc : config.servers()) {
            if (sc.discovery().isEmpty()) {
                servers.add(new Server(this, sc.name(), sc.address().resolve(), sc.weight(), sc.maxConnections(),
                        sc.sendProxy()));
            }
        }
        rebuild();
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

    /**
     * Adds a server at run time (service discovery, the admin API); it takes new connections at once. When a
     * server of that name and address is still draining after {@link #removeServer}, it is made ready again (with
     * {@code weight}) instead, and returned.
     *
     * @param address resolved; not null
     * @return the server, a member of the next snapshot (unless it is down or in maintenance)
     * @throws IllegalArgumentException when another server of this backend has that name
     */
    public synchronized Server addServer(String serverName, InetSocketAddress address, int weight, int maxConnections,
                                         Optional<ProxyProtocolVersion> sendProxy) {
        Optional<Server> existing = server(serverName);
        if (existing.isPresent()) {
            Server s = existing.get();
            if (!s.retired() || !s.address().equals(address)) {
                throw new IllegalArgumentException("backend '" + name + "' already has a server named '" + serverName
                        + "'");
            }
            s.setRetired(false);
            s.setConfiguredWeight(weight);
            s.setState(ServerState.READY);
            rebuild();
            return s;
        }
        Server s = new Server(this, serverName, address, weight, maxConnections, sendProxy);
        servers.add(s);
        rebuild();
        return s;
    }

    /**
     * Removes a server at run time: it takes no new connection from now on (state {@code drain}), its live
     * connections carry on, and it leaves {@link #servers()} when the last of them closes (at once when it has
     * none). Removing a server that is already leaving does nothing.
     */
    public synchronized void removeServer(Server server) {
        if (server.backend() != this || server.retired() || !servers.contains(server)) {
            return;
        }
        server.setRetired(true);
        server.setState(ServerState.DRAIN);
        if (server.active() + server.inactive() == 0) {
            servers.remove(server);
        }
        rebuild();
    }

    /** A removed server's last connection closed: it leaves the backend for good. */
    synchronized void drained(Server server) {
        if (server.retired() && server.active() + server.inactive() == 0 && servers.remove(server)) {
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
