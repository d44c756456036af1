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
    private volatile BackendConfig config;
    private volatile Scheduler scheduler;
    private volatile HashKeyExtractor hashKey;
    /** Every server, in list order, whatever its state: members and non-members. */
    private volatile List<Server> servers = List.of();
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
        List<Server> initial = new ArrayList<>();
        for (ServerConfig sc : config.servers()) {
            initial.add(newServer(sc.name(), sc.address().resolve(), sc));
        }
        servers = List.copyOf(initial);
        rebuild();
    }

    private Server newServer(String serverName, InetSocketAddress address, ServerConfig sc) {
        return new Server(this, serverName, address, sc.weight(), sc.maxConnections(), sc.sendProxy());
    }

    /**
     * Applies a new configuration of this backend (hot reload). Servers that stay (same name, address and PROXY
     * setting) keep their counters, health and live connections and take the new weight and limits; servers that go
     * are removed from scheduling while their live connections carry on (they drain); new servers are added. The
     * scheduler is replaced only when its configuration changed. Resolves new server addresses (blocking): call off
     * the event loops.
     */
    public synchronized void reconfigure(BackendConfig next) {
        if (!next.name().equals(name)) {
            throw new IllegalArgumentException("backend " + name + " cannot become " + next.name());
        }
        List<Server> kept = new ArrayList<>(next.servers().size());
        for (ServerConfig sc : next.servers()) {
            Server current = server(sc.name()).orElse(null);
            InetSocketAddress address = sc.address().resolve();
            if (current != null && current.address().equals(address) && current.sendProxy().equals(sc.sendProxy())) {
                current.setConfiguredWeight(sc.weight());
                current.setThresholds(sc.maxConnections(), current.lowerThreshold());
                kept.add(current);
            } else {
                kept.add(newServer(sc.name(), address, sc));
            }
        }
        if (!next.scheduler().equals(config.scheduler())) {
            scheduler = Schedulers.create(next.scheduler());
        }
        hashKey = HashKeys.parse(next.hashKey());
        config = next;
        for (Server s : servers) {
            if (!kept.contains(s)) {
                s.setIndex(-1);
            }
        }
        servers = List.copyOf(kept);
        rebuild();
    }

    /**
     * Adds a server at run time, at the end of the list. Resolves the address (blocking): call off the event loops.
     *
     * @throws IllegalArgumentException when a server of that name exists
     */
    public synchronized Server addServer(ServerConfig sc) {
        if (server(sc.name()).isPresent()) {
            throw new IllegalArgumentException("backend '" + name + "' already has a server named '" + sc.name() + "'");
        }
        Server added = newServer(sc.name(), sc.address().resolve(), sc);
        List<Server> more = new ArrayList<>(servers);
        more.add(added);
        servers = List.copyOf(more);
        rebuild();
        return added;
    }

    /**
     * Removes a server at run time: it gets no new connections; the ones it has carry on until they end.
     *
     * @return the removed server, or empty when there was none of that name
     */
    public synchronized Optional<Server> removeServer(String serverName) {
        Optional<Server> gone = server(serverName);
        gone.ifPresent(s -> {
            List<Server> fewer = new ArrayList<>(servers);
            fewer.remove(s);
            servers = List.copyOf(fewer);
            s.setIndex(-1);
            rebuild();
        });
        return gone;
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
        return servers;
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
