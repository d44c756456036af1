package dev.ferry.config;

import java.util.Optional;

/**
 * The options of a tcp frontend beyond what every frontend has: its layer-4 {@code persistence} (written on the
 * frontend; a tcp frontend has no options block).
 *
 * @param persistence IPVS-style persistence of client groups to one server; empty = off
 */
public record TcpOptions(Optional<PersistenceConfig> persistence) implements ModeOptions {
    public static final TcpOptions DEFAULTS = new TcpOptions(Optional.empty());

    @Override
    public Mode mode() {
        return Mode.TCP;
    }
}
