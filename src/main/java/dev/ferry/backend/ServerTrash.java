package dev.ferry.backend;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Servers removed from a backend at run time while they still had connections, so that adding the same server
 * again (same name, address and PROXY setting) brings back the same {@link Server} with its live counts, as the
 * kernel takes a removed destination back from its trash ({@code ip_vs_trash_get_dest}). Entries that lblc and
 * lblcr cached for it then become valid again, since they point at that object.
 *
 * <p>A server stays here while it has live connections: each add or remove first drops the servers whose last
 * connection has ended (the kernel also frees a destination once nothing refers to it).
 *
 * <p>Threading: not thread-safe; used under the owning backend's lock.
 */
final class ServerTrash {
    private final List<Server> removed = new ArrayList<>();

    /** Keeps {@code server}, just taken out of the backend, while its connections last. */
    void put(Server server) {
        purge();
        if (server.active() + server.inactive() > 0) {
            removed.add(server);
        }
    }

    /** Takes back the removed server of that identity that still has connections, if any. */
    Optional<Server> take(String name, InetSocketAddress address, Object sendProxy) {
        purge();
        for (Server s : removed) {
            if (s.name().equals(name) && s.address().equals(address) && s.sendProxy().equals(sendProxy)) {
                removed.remove(s);
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    int size() {
        return removed.size();
    }

    private void purge() {
        removed.removeIf(s -> s.active() + s.inactive() <= 0);
    }
}
