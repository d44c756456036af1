package dev.ferry.config;

/** A frontend's {@code mode}. */
public enum Mode {
    TCP, UDP, HTTP;

    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
