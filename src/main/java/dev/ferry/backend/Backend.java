package dev.ferry.backend;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.ServerConfig;
import dev.ferry.schedule.PickContext;
import dev.ferry.schedule.Scheduler;
import dev.ferry.schedule.Schedulers;
import dev.ferry.schedule.hash.HashKeyExtractor;
import dev.ferry.schedule.hash.HashKeys;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A pool of servers with its scheduler. Owns the servers' membership and effective weights: every change goes
 * through this class, which recomputes effective weights, publishes a new {@link BackendSnapshot} and hands it to
 * the scheduler.
 *
 * <p>Effective weight = configured weight x slow-start share x feedback factor, rounded half up, at least 1 while
 * that product is above 0 (a ramping server with weight 1 still gets traffic); 0 while draining, for a configured
 * weight of 0 and for a feedback factor of 0. A server is a member of the snapshot while it is healthy (active
 * checks), not ejected (passive checks) and not in maintenance; a {@code backup: true} server only while no primary
 * is usable ({@link BackupSelection}). With {@code queue:} a {@link BackendQueue} holds what waits for a free slot.
 * {@linkplain #addJoinListener Join listeners} hear of
 * every server that becomes a member again after it was not (slow start begins there).
 *
 * <p>Threading: {@link #pick(PickContext)} and {@link #snapshot()} are lock-free and called from any event loop.
 * Changes (weights, states, health, membership) are {@code synchronized} on this backend and may come from any
 * thread off the I/O loops (admin API, reload, and the balancer's control thread for health checks, feedback and DNS
 * discovery); they never run on the pick path, and no name is resolved while the lock is held.
 */
public final class Backend {
    private final String name;
    private volatile BackendConfig config;
    private volatile Scheduler scheduler;
    private volatile HashKeyExtractor hashKey;
    /** Every server, in list order, whatever its state: members and non-members. */
    private volatile List<Server> servers = List.of();
    private volatile BackendSnapshot snapshot = BackendSnapshot.EMPTY;
    private final List<Consumer<Server>> joinListeners = new CopyOnWriteArrayList<>();
    private volatile ServerOutcomes outcomes = ServerOutcomes.NONE;
    private final ServerTrash trash = new ServerTrash();
    private final Availability availability;
    /** TLS to the servers, loaded at start and each reload (files are read off the event loops). */
    private volatile dev.ferry.transport.BackendTls tls = dev.ferry.transport.BackendTls.NONE;
    /** Where requests and connections wait while every server is full ({@code queue:}); null without one. */
    private volatile BackendQueue queue;
    /** Sticky cookie and stick table ({@code sticky:}, {@code stick:}); replaced whole on reload. */
    private volatile Affinity affinity = Affinity.NONE;
    private final StickinessStats stickiness = new StickinessStats();
    private final Clock clock;

    /** A backend on the system clock. */
    public Backend(BackendConfig config) {
        this(config, Clock.systemUTC());
    }

    /**
     * Builds a backend from its configuration. Server addresses are resolved here (blocking): call off the event
     * loops. Entries found by DNS ({@link ServerConfig#discovery()}) add no server here: service discovery adds
     * them through {@link #addServer} as answers come.
     *
     * @param clock the time of its stickiness (cookie times, stick-table expiry) and of layer-4 persistence
     */
    public Backend(BackendConfig config, Clock clock) {
        this.name = config.name();
        this.clock = clock;
        this.availability = new Availability(config.name());
        this.config = config;
        this.scheduler = Schedulers.create(config.scheduler());
        this.hashKey = HashKeys.parse(config.hashKey());
        this.queue = config.queue().map(q -> new BackendQueue(this, q)).orElse(null);
        List<Server> initial = new ArrayList<>();
        for (ServerConfig sc : config.servers()) {
            if (sc.discovery().isEmpty()) {
                initial.add(newServer(sc.name(), sc.address().resolve(), sc));
            }
        }
        servers = List.copyOf(initial);
        rebuild();
        affinity = Affinity.of(this, config, clock, Affinity.NONE);
    }

    private Server newServer(String serverName, InetSocketAddress address, ServerConfig sc) {
        Server s = new Server(this, serverName, address, sc.weight(), sc.maxConnections(), sc.sendProxy());
        s.setForwarding(sc.forwarding().orElse(null));
        s.setProtocol(sc.protocol().orElse(null));
        s.setBackup(sc.backup());
        return s;
    }

    /**
     * Applies a new configuration of this backend (hot reload). Servers that stay (same name, address and PROXY
     * setting) keep their counters, health and live connections and take the new weight and limits; servers that go
     * are removed from scheduling while their live connections carry on (they drain); new servers are added. The
     * scheduler is replaced only when its configuration changed. Resolves new server addresses (blocking): call off
     * the event loops.
     */
    public void reconfigure(BackendConfig next) {
        // Names are resolved before the lock is taken: a slow DNS server must not hold up the changes (health,
        // discovery, admin) that wait on this backend's lock.
        Map<String, InetSocketAddress> addresses = new HashMap<>();
        for (ServerConfig sc : next.servers()) {
            if (sc.discovery().isEmpty()) {
                addresses.put(sc.name(), sc.address().resolve());
            }
        }
        Affinity nextAffinity = Affinity.of(this, next, clock, affinity);
        reconfigure(next, addresses);
        affinity = nextAffinity;
    }

    private synchronized void reconfigure(BackendConfig next, Map<String, InetSocketAddress> addresses) {
        if (!next.name().equals(name)) {
            throw new IllegalArgumentException("backend " + name + " cannot become " + next.name());
        }
        List<Server> kept = new ArrayList<>(next.servers().size());
        for (ServerConfig sc : next.servers()) {
            if (sc.discovery().isPresent()) {
                // Servers found by DNS stay as service discovery left them ("<entry name>@<address>").
                for (Server found : servers) {
                    if (found.name().startsWith(sc.name() + "@")) {
                        kept.add(found);
                    }
                }
                continue;
            }
            Server current = server(sc.name()).orElse(null);
            InetSocketAddress address = addresses.get(sc.name());
            if (current != null && current.address().equals(address) && current.sendProxy().equals(sc.sendProxy())) {
                current.setConfiguredWeight(sc.weight());
                current.setThresholds(sc.maxConnections(), current.lowerThreshold());
                current.setForwarding(sc.forwarding().orElse(null));
                current.setProtocol(sc.protocol().orElse(null));
                current.setBackup(sc.backup());
                kept.add(current);
            } else {
                kept.add(newServer(sc.name(), address, sc));
            }
        }
        // A new scheduler is published only once it has seen the servers (in rebuild), so that no concurrent pick
        // meets an empty one and resets a client.
        Scheduler replacement = next.scheduler().equals(config.scheduler()) ? null : Schedulers.create(next.scheduler());
        hashKey = HashKeys.parse(next.hashKey());
        config = next;
        queue = reconfigureQueue(queue, next);
        for (Server s : servers) {
            if (!kept.contains(s)) {
                s.setIndex(-1);
            }
        }
        servers = List.copyOf(kept);
        rebuild(replacement);
    }

    /**
     * Adds a server at run time, at the FRONT of the list, as the kernel does ({@code list_add_rcu} at the head in
     * {@code __ip_vs_update_dest}). A server removed while it still had connections and added again with the same
     * name, address and PROXY setting comes back as the same server, with its live counts, taking the new weight
     * and limit (the kernel's trash, {@link ServerTrash}). Resolves the address (blocking): call off the event loops.
     * The name is resolved before this backend's lock is taken, so a slow DNS server holds up only the caller.
     *
     * @throws IllegalArgumentException when a server of that name exists
     */
    public Server addServer(ServerConfig sc) {
        return addServer(sc, sc.address().resolve());
    }

    private synchronized Server addServer(ServerConfig sc, InetSocketAddress address) {
        if (server(sc.name()).isPresent()) {
            throw new IllegalArgumentException("backend '" + name + "' already has a server named '" + sc.name() + "'");
        }
        Server added = trash.take(sc.name(), address, sc.sendProxy()).orElse(null);
        if (added == null) {
            added = newServer(sc.name(), address, sc);
        } else {
            added.setConfiguredWeight(sc.weight());
            added.setThresholds(sc.maxConnections(), added.lowerThreshold());
            added.setForwarding(sc.forwarding().orElse(null));
            added.setProtocol(sc.protocol().orElse(null));
            added.setBackup(sc.backup());
            added.setState(ServerState.READY);
        }
        List<Server> more = new ArrayList<>(servers.size() + 1);
        more.add(added);
        more.addAll(servers);
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
            trash.put(s);
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

    /** TLS to this backend's servers ({@code tls:}); {@code BackendTls.NONE} when they speak plain TCP. */
    public dev.ferry.transport.BackendTls tls() {
        return tls;
    }

    /** Set at start and by each reload, with the files of the backend's {@code tls:} read. */
    public void setTls(dev.ferry.transport.BackendTls tls) {
        this.tls = tls;
    }

    /** The backend's sticky cookie and stick table, if it has them; never null. */
    /** How its sticky cookie and stick table placed requests, across reloads. */
    public StickinessStats stickiness() {
        return stickiness;
    }

    public Affinity affinity() {
        return affinity;
    }

    /** The clock of this backend's stickiness and of the layer-4 persistence of frontends in front of it. */
    public Clock clock() {
        return clock;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    /** Whether this backend's scheduler places by destination ({@link Scheduler#placesByDestination()}). */
    public boolean placesByDestination() {
        return scheduler.placesByDestination();
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

    /** Where requests and new connections wait while every server is at its limit; null when there is no queue. */
    public BackendQueue queue() {
        return queue;
    }

    /** The queue after a reload: kept with the new limits, made, or closed (its waiters sent on or refused). */
    private BackendQueue reconfigureQueue(BackendQueue current, BackendConfig next) {
        if (next.queue().isEmpty()) {
            if (current != null) {
                current.close();
            }
            return null;
        }
        if (current == null) {
            return new BackendQueue(this, next.queue().get());
        }
        current.setConfig(next.queue().get());
        return current;
    }

    /** The members the scheduler currently chooses from. */
    public BackendSnapshot snapshot() {
        return snapshot;
    }

    /** Chooses a server, or null when none can take the connection. Lock-free. */
    public Server pick(PickContext context) {
        // The scheduler only ever sees this backend's snapshots, whose members are all Servers.
        return (Server) scheduler.pick(context);
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

    /** Takes a server out of the snapshot (passive health) or lets it back in. */
    public synchronized void setEjected(Server server, boolean ejected) {
        if (server.ejected() != ejected) {
            server.setEjected(ejected);
            rebuild();
        }
    }

    /** Sets the slow-start share in (0, 1] and republishes the weights when it changed. */
    public synchronized void setSlowStartShare(Server server, double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("slow-start share must be in (0, 1]: " + share);
        }
        if (server.slowStartShare() != share) {
            server.setSlowStartShare(share);
            rebuild();
        }
    }

    /** Sets the feedback factor ({@code >= 0}) and republishes the weights when it changed. */
    public synchronized void setFeedbackFactor(Server server, double factor) {
        if (!(factor >= 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("feedback factor must be a finite number >= 0: " + factor);
        }
        if (server.feedbackFactor() != factor) {
            server.setFeedbackFactor(factor);
            rebuild();
        }
    }

    /**
     * Registers a listener told of every server that becomes a member of the snapshot after it was not (back up after
     * a failed health check, back from ejection or maintenance). Called on the thread that made the change, after the
     * new snapshot is published, while this backend's lock is held: it may call this backend's setters.
     */
    public void addJoinListener(Consumer<Server> listener) {
        joinListeners.add(listener);
    }

    /** Stops telling {@code listener} (the same instance that was added) of joins. */
    public void removeJoinListener(Consumer<Server> listener) {
        joinListeners.remove(listener);
    }

    /** Where {@link Server#recordSuccess()} and {@link Server#recordFailure()} are reported; never null. */
    public ServerOutcomes outcomes() {
        return outcomes;
    }

    /** Installs the passive health check that hears of the servers' outcomes; {@link ServerOutcomes#NONE} to stop. */
    public void setOutcomes(ServerOutcomes outcomes) {
        this.outcomes = java.util.Objects.requireNonNull(outcomes);
    }

    /** Configured weight x slow-start share x feedback factor, as described on this class. */
    static int effectiveWeight(Server s) {
        if (s.state() == ServerState.DRAIN) {
            return 0;
        }
        double product = s.configuredWeight() * s.slowStartShare() * s.feedbackFactor();
        if (!(product > 0)) {
            return 0;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.round(product)));
    }

    void loadChanged(Server server) {
        scheduler.loadChanged(server);
    }

    private void rebuild() {
        rebuild(null);
    }

    /** Publishes a new snapshot; with {@code replacement}, hands it to that scheduler and then makes it current. */
    private void rebuild(Scheduler replacement) {
        List<Server> members = new ArrayList<>(servers.size());
        List<Server> joined = new ArrayList<>(0);
        for (Server s : servers) {
            s.setWeight(effectiveWeight(s));
        }
        // Backup servers are members only while no primary is usable (BackupSelection).
        java.util.Set<Server> selected = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        selected.addAll(BackupSelection.members(servers, config.allBackups()));
        for (Server s : servers) {
            if (selected.contains(s)) {
                if (s.index() < 0 && snapshot != BackendSnapshot.EMPTY) {
                    joined.add(s);
                }
                s.setIndex(members.size());
                members.add(s);
            } else {
                s.setIndex(-1);
            }
        }
        BackendSnapshot next = new BackendSnapshot(members, snapshot.version() + 1);
        snapshot = next;
        if (replacement != null) {
            replacement.update(next);
            scheduler = replacement;
        } else {
            scheduler.update(next);
        }
        availability.update(servers);
        for (Server s : joined) {
            joinListeners.forEach(listener -> listener.accept(s));
        }
        BackendQueue q = queue;
        if (q != null) {
            q.serversChanged();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
