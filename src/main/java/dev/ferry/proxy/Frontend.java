package dev.ferry.proxy;

import java.net.InetSocketAddress;

/**
 * A listener of one mode (tcp, udp, http) that accepts traffic and hands it to a backend.
 *
 * <p>Threading: {@link #start()} blocks until bound and must be called off the event loops; the other methods
 * may be called from any thread.
 */
public interface Frontend {

    String name();

    /**
     * Binds the listening socket.
     *
     * @return the bound address (the real port when the configuration asked for port 0)
     * @throws java.net.BindException when the address is in use or cannot be assigned
     */
    InetSocketAddress start() throws java.net.BindException;

    /** Stops accepting new connections; live ones carry on. Idempotent. */
    void stopAccepting();

    /** Closes every live connection now. */
    void closeAll();

    FrontendStats stats();
}
