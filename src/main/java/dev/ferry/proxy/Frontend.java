package dev.ferry.proxy;

import dev.ferry.backend.Backend;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.HostPort;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * A listener of one mode (tcp, udp, http) that accepts traffic and hands it to a backend.
 *
 * <p>Threading: {@link #start()} blocks until bound and must be called off the event loops; the other methods
 * may be called from any thread.
 */
public interface Frontend {

    String name();

    /** The configuration new connections are served with. */
    FrontendConfig config();

    /**
     * True when {@code next} can be applied to this running frontend without a new listening socket (hot reload): the
     * same name, mode and address, and nothing that changes how connections are accepted.
     */
    boolean canReconfigure(FrontendConfig next);

    /**
     * True when this frontend listens on {@code address} as written in a configuration: the configured address, or
     * (when it was configured with port 0) the port it actually got.
     */
    boolean listensOn(HostPort address);

    /**
     * Applies {@code next} to new connections; live ones finish with what they started with. Only called when
     * {@link #canReconfigure(FrontendConfig)} said yes.
     *
     * @param backends every backend of the new configuration, by name
     */
    void reconfigure(FrontendConfig next, Map<String, Backend> backends);

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

    /** The counters of this frontend's access rules and rate limits, by rule ({@code frontend}, {@code routes[N]}). */
    default dev.ferry.proxy.admission.AdmissionStats admissionStats() {
        return new dev.ferry.proxy.admission.AdmissionStats();
    }
}
