package dev.ferry.director.table;

import dev.ferry.backend.Server;

/**
 * One persistence template (IPVS's template connection, {@code ipvsadm -Lnc}'s entries with client port 0): the
 * server that a client group's new connections to one service go to. It lives while connections it placed are
 * tracked and for its timeout after the last of them ended.
 *
 * <p>Threading: shared by a director's workers; every change happens under the template's own lock, and only when a
 * connection starts or ends, never per packet.
 */
public final class PersistenceTemplate {
    final long key;
    final int protocol;
    final int clientGroup;
    final int virtualAddress;
    final int virtualPort;
    final int service;
    final Server server;
    private final long timeoutMillis;
    private int connections;
    private long idleSince;
    private boolean removed;

    PersistenceTemplate(long key, int protocol, int clientGroup, int virtualAddress, int virtualPort, int service,
                        Server server, long timeoutMillis, long nowMillis) {
        this.key = key;
        this.protocol = protocol;
        this.clientGroup = clientGroup;
        this.virtualAddress = virtualAddress;
        this.virtualPort = virtualPort;
        this.service = service;
        this.server = server;
        this.timeoutMillis = timeoutMillis;
        this.idleSince = nowMillis;
    }

    /** Counts one more connection placed by this template; false when it was removed meanwhile (make a new one). */
    synchronized boolean attach() {
        if (removed) {
            return false;
        }
        connections++;
        return true;
    }

    /** One of its connections left the table. */
    synchronized void release(long nowMillis) {
        if (--connections == 0) {
            idleSince = nowMillis;
        }
    }

    /** Marks the template removed when it has no connections and its timeout has passed. */
    synchronized boolean expireIfIdle(long nowMillis) {
        if (!removed && connections == 0 && nowMillis - idleSince >= timeoutMillis) {
            removed = true;
        }
        return removed;
    }

    /** Marks the template removed whatever it holds (its server became unavailable, or the director stops). */
    synchronized void retire() {
        removed = true;
    }

    public synchronized int connections() {
        return connections;
    }

    /** Milliseconds until it expires unless a connection comes; its whole timeout while it has connections. */
    public synchronized long millisLeft(long nowMillis) {
        return connections > 0 ? timeoutMillis : Math.max(0, idleSince + timeoutMillis - nowMillis);
    }

    public int protocol() {
        return protocol;
    }

    /** The client address under the service's netmask. */
    public int clientGroup() {
        return clientGroup;
    }

    public int virtualAddress() {
        return virtualAddress;
    }

    /** The virtual port, 0 for a service of every port. */
    public int virtualPort() {
        return virtualPort;
    }

    public int service() {
        return service;
    }

    public Server server() {
        return server;
    }
}
