package dev.ferry.config;

/**
 * The options of one frontend mode, as a frontend's {@link FrontendConfig#options()}: a tcp frontend holds
 * {@link TcpOptions}, a udp one {@link UdpOptions} (key {@code udp:}), an http one {@link HttpOptions} (key
 * {@code http:}). Being sealed, a frontend holds exactly one mode's options, so an {@code http:} option cannot exist
 * on a tcp frontend; code that needs them matches on the type.
 */
public sealed interface ModeOptions permits TcpOptions, UdpOptions, HttpOptions {

    /** The mode these options belong to (the frontend's {@code mode}). */
    Mode mode();
}
