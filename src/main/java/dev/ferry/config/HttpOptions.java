package dev.ferry.config;

/**
 * {@code http:} options of an http frontend: limits on what a client may send before Ferry answers itself.
 *
 * @param maxRequestLine longest request line (method, target, version) in bytes; beyond it 414 (key
 *                       {@code max_request_line}, default 8KiB, as nginx's large_client_header_buffers)
 * @param maxHeaderSize  most bytes of header fields in one request head; beyond it 431 (key {@code max_header_size},
 *                       default 32KiB)
 */
public record HttpOptions(int maxRequestLine, int maxHeaderSize) {
    public static final HttpOptions DEFAULTS = new HttpOptions(8 * 1024, 32 * 1024);
    /** Smallest limit accepted: a request line or head below this could not carry an ordinary request. */
    public static final int MIN_LIMIT = 256;
    /** Largest limit accepted: Ferry holds up to this much of one head in memory per connection. */
    public static final int MAX_LIMIT = 1024 * 1024;
}
