package dev.ferry.config;

/** {@code udp:} options of a udp frontend; {@code perDatagram} schedules every datagram on its own. */
public record UdpOptions(boolean perDatagram) {
    public static final UdpOptions DEFAULTS = new UdpOptions(false);
}
