package dev.ferry.schedule.hash;

import java.net.InetSocketAddress;

/**
 * Computes the 64-bit hash key of a connection or request (a backend's {@code hash_key} setting). The result goes
 * into {@link dev.ferry.schedule.PickContext#hashKey()}; hashing schedulers never look at what it was made from.
 *
 * <p>Keys are well mixed: every input bit affects every output bit, so schedulers may take any bits of them.
 * When a layer-7 key finds nothing to hash (no such header or cookie) the extractor falls back to the client's
 * source address, so such clients still stick to one server; with no client either, the key is 0.
 *
 * <p>Threading: implementations are immutable and safe from any thread.
 */
public sealed interface HashKeyExtractor permits SourceIpKey, SourceIpPortKey, UriKey, HeaderKey, CookieKey {

    /**
     * The key for one connection or request.
     *
     * @param client  the client's address (after a PROXY header, the original client); may be null
     * @param request the HTTP request at layer 7; null at layer 4, where layer-7 keys use the fallback
     */
    long keyOf(InetSocketAddress client, HttpRequestView request);

    /** True when the key reads the HTTP request, so it means something only on http frontends. */
    boolean needsHttp();

    /** The setting as written in the configuration, e.g. {@code header:X-User}. */
    String spec();

    /** The fallback key: the client's source address, or 0 with no client. */
    static long sourceFallback(InetSocketAddress client) {
        return client == null ? 0 : AddressKeys.mixed(client, false);
    }
}
