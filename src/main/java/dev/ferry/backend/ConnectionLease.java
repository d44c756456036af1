package dev.ferry.backend;

/**
 * One connection (or request) bound to a server, moving it between the server's inactive and active counters.
 * Created inactive by {@link Server#open()}; {@link #activate()} when data transfer starts, {@link #deactivate()}
 * when one side half-closes, {@link #close()} exactly once at the end. Extra calls are ignored, so error paths may
 * call {@code close()} freely.
 *
 * <p>Threading: not thread-safe; used on the event loop of the connection it accounts for.
 */
public final class ConnectionLease {
    private enum Phase { INACTIVE, ACTIVE, CLOSED }

    private final Server server;
    private Phase phase = Phase.INACTIVE;

    ConnectionLease(Server server) {
        this.server = server;
    }

    public Server server() {
        return server;
    }

    public void activate() {
        if (phase == Phase.INACTIVE) {
            phase = Phase.ACTIVE;
            server.inactiveToActive();
        }
    }

    public void deactivate() {
        if (phase == Phase.ACTIVE) {
            phase = Phase.INACTIVE;
            server.activeToInactive();
        }
    }

    public void close() {
        if (phase != Phase.CLOSED) {
            boolean wasActive = phase == Phase.ACTIVE;
            phase = Phase.CLOSED;
            server.unbind(wasActive);
        }
    }

    public boolean isClosed() {
        return phase == Phase.CLOSED;
    }
}
