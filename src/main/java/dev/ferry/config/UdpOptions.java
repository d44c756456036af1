package dev.ferry.config;

/** {@code udp:} options of a udp frontend; {@code perDatagram} schedules every datagram on its own. */
public record UdpOptions(boolean perDatagram) implements ModeOptions {
    public static final UdpOptions DEFAULTS = new UdpOptions(false);

    @Override
    public Mode mode() {
        return Mode.UDP;
    }
}
