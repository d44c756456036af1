package dev.ferry.backend;

/**
 * Receives what the proxies learn about a server while serving traffic (passive health): {@link Server#recordSuccess()}
 * and {@link Server#recordFailure()} forward here through the server's {@link Backend}.
 *
 * <p>Threading: called from any event loop, often concurrently; implementations must be thread-safe, cheap and
 * never block.
 */
public interface ServerOutcomes {
    /** Ignores every outcome: the default while no passive health check is configured. */
    ServerOutcomes NONE = new ServerOutcomes() {
        @Override
        public void succeeded(Server server) {
        }

        @Override
        public void failed(Server server) {
        }
    };

    /** The server took a connection (layer 4) or answered with a status other than 5xx (layer 7). */
    void succeeded(Server server);

    /** Connecting failed, the server reset the connection, or (layer 7) it answered 5xx. */
    void failed(Server server);
}
