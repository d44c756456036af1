package dev.ferry.config;

/** A PROXY protocol version, as in {@code send_proxy: v1 | v2}. */
public enum ProxyProtocolVersion {
    V1, V2
}
