package dev.ferry.config;

import java.util.Optional;

/**
 * {@code udp:} options of a udp frontend; {@code perDatagram} schedules every datagram on its own. Also the frontend's
 * layer-4 {@code persistence} (written on the frontend, not under {@code udp:}).
 *
 * @param persistence IPVS-style persistence of client groups to one server; empty = off
 */
public record UdpOptions(boolean perDatagram, Optional<PersistenceConfig> persistence) implements ModeOptions {
    public static final UdpOptions DEFAULTS = new UdpOptions(false);

    /** Without persistence. */
    public UdpOptions(boolean perDatagram) {
        this(perDatagram, Optional.empty());
    }

    @Override
    public Mode mode() {
        return Mode.UDP;
    }
}
