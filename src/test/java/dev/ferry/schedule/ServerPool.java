package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;

import java.util.ArrayList;
import java.util.List;

/**
 * Drives one scheduler over detached servers named A, B, C, ... the way a backend would: every change of weight or
 * membership publishes a new snapshot, every change of load is reported through {@link Scheduler#loadChanged}.
 * Picks follow spec §4: each pick opens one connection to the chosen server and activates it; nothing closes
 * unless a test says so.
 */
final class ServerPool {
    private final Scheduler scheduler;
    private final List<Server> members = new ArrayList<>();
    private final List<ConnectionLease> leases = new ArrayList<>();

    private ServerPool(Scheduler scheduler, int... weights) {
        this.scheduler = scheduler;
        for (int i = 0; i < weights.length; i++) {
            members.add(Server.detached(String.valueOf((char) ('A' + i)), weights[i]));
        }
        publish();
    }

    static ServerPool of(Scheduler scheduler, int... weights) {
        return new ServerPool(scheduler, weights);
    }

    Scheduler scheduler() {
        return scheduler;
    }

    List<Server> members() {
        return List.copyOf(members);
    }

    Server server(String name) {
        return members.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no server " + name));
    }

    /** {@code count} picks as a string of server names, "-" for none; each chosen server gains an active connection. */
    String picks(int count) {
        return picks(count, PickContext.EMPTY);
    }

    String picks(int count, PickContext context) {
        StringBuilder out = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            Server s = pickAndActivate(context);
            out.append(s == null ? "-" : s.name());
        }
        return out.toString();
    }

    /** One pick; the chosen server (if any) gains an active connection through a lease, as the proxy would do. */
    Server pickAndActivate(PickContext context) {
        Server s = (Server) scheduler.pick(context);
        if (s != null) {
            ConnectionLease lease = s.open();
            scheduler.loadChanged(s);
            lease.activate();
            scheduler.loadChanged(s);
            leases.add(lease);
        }
        return s;
    }

    /** Closes every connection opened by the picks so far. */
    ServerPool closeAll() {
        for (ConnectionLease lease : leases) {
            lease.close();
            scheduler.loadChanged(lease.server());
        }
        leases.clear();
        return this;
    }

    ServerPool load(String name, int active, int inactive) {
        Server s = server(name);
        s.setLoad(active, inactive);
        scheduler.loadChanged(s);
        return this;
    }

    ServerPool overloaded(String name, boolean overloaded) {
        Server s = server(name);
        s.setOverloaded(overloaded);
        scheduler.loadChanged(s);
        return this;
    }

    ServerPool weight(String name, int weight) {
        server(name).setWeight(weight);
        publish();
        return this;
    }

    ServerPool remove(String name) {
        members.remove(server(name));
        publish();
        return this;
    }

    ServerPool add(String name, int weight) {
        members.add(Server.detached(name, weight));
        publish();
        return this;
    }

    private void publish() {
        scheduler.update(BackendSnapshot.of(new ArrayList<>(members)));
    }
}
