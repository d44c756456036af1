package dev.ferry.config;

/**
 * How an http frontend uses HTTP/2 connections to a backend's servers (key {@code http2} on a backend): the pools
 * are per server and per event loop (worker thread), as the HTTP/1 pools are.
 *
 * @param maxConnections       HTTP/2 connections to one server per worker thread at most; when each of them carries
 *                             as many streams as it may, a further request is answered 503 (a queue is a policy of its
 *                             own, {@code queue:})
 * @param maxConcurrentStreams streams one connection carries at once at most: the smaller of this and the server's
 *                             SETTINGS_MAX_CONCURRENT_STREAMS
 */
public record UpstreamHttp2Config(int maxConnections, int maxConcurrentStreams) {
    public static final UpstreamHttp2Config DEFAULTS = new UpstreamHttp2Config(8, 100);
}
