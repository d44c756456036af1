package dev.ferry.config;

/**
 * A protocol an http frontend speaks with its clients (key {@code http.protocols}), named as ALPN names it (RFC 7301,
 * RFC 9113 3.2): offered in the configured order on TLS frontends; on plaintext ones {@code h2} is HTTP/2 by prior
 * knowledge ({@code h2c}), told from HTTP/1 by the connection preface.
 */
public enum HttpProtocol {
    H2("h2"),
    HTTP_1_1("http/1.1");

    private final String key;

    HttpProtocol(String key) {
        this.key = key;
    }

    /** The name in the configuration, which is also the ALPN protocol id: {@code h2}, {@code http/1.1}. */
    public String key() {
        return key;
    }
}
