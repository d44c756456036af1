package dev.ferry.config;

/** The options of a tcp frontend: none beyond what every frontend has; a tcp frontend has no options block. */
public record TcpOptions() implements ModeOptions {
    public static final TcpOptions DEFAULTS = new TcpOptions();

    @Override
    public Mode mode() {
        return Mode.TCP;
    }
}
