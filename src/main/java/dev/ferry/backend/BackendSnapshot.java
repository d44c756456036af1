package dev.ferry.backend;

import dev.ferry.schedule.Snapshot;

import java.util.List;

/**
 * The servers a scheduler may choose from, in list order (servers added at run time first, newest first, then the
 * configuration's order), as of one moment. Immutable; a new snapshot is published on every change of membership, weight or health.
 * A server's position in {@link #servers()} equals {@link Server#index()} while this snapshot is current.
 *
 * @param servers the members: healthy servers that are not in maintenance (draining ones are members with weight 0)
 * @param version increases with every new snapshot of the same backend
 */
public record BackendSnapshot(List<Server> servers, long version) implements Snapshot {
    public static final BackendSnapshot EMPTY = new BackendSnapshot(List.of(), 0);

    public BackendSnapshot {
        servers = List.copyOf(servers);
    }

    /** A snapshot of detached servers, for schedulers driven directly (tests, benchmarks). */
    public static BackendSnapshot of(List<Server> servers) {
        for (int i = 0; i < servers.size(); i++) {
            servers.get(i).setIndex(i);
        }
        return new BackendSnapshot(servers, 1);
    }

    @Override
    public int size() {
        return servers.size();
    }

    @Override
    public Server get(int i) {
        return servers.get(i);
    }
}
