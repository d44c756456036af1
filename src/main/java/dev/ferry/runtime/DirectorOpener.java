package dev.ferry.runtime;

import dev.ferry.backend.Backend;
import dev.ferry.config.DirectorConfig;
import dev.ferry.director.Director;

import java.util.Map;

/**
 * Opens a director's packet device and builds the director over it, not yet started. Ferry opens the TUN device
 * ({@link #TUN}); a test can hand a director over an in-memory device instead. Called by the balancer under its
 * lock (start and reload).
 */
@FunctionalInterface
public interface DirectorOpener {
    /** Opens (or creates) the TUN device the configuration names. */
    DirectorOpener TUN = Director::open;

    /**
     * @throws dev.ferry.director.DeviceUnavailableException when the device cannot be opened
     */
    Director open(DirectorConfig config, Map<String, Backend> backends);
}
