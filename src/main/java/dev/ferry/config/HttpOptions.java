package dev.ferry.config;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code http:} options of an http frontend: limits on what a client may send before Ferry answers itself, the
 * headers Ferry adds to what it forwards, and how it accepts clients.
 *
 * @param maxRequestLine    longest request line (method, target, version) in bytes; beyond it 414 (key
 *                          {@code max_request_line}, default 8KiB, as nginx's large_client_header_buffers)
 * @param maxHeaderSize     most bytes of header fields in one request head; beyond it 431 (key
 *                          {@code max_header_size}, default 32KiB)
 * @param maxHeaderCount    most header fields (field lines) in one request head; beyond it 431 (key
 *                          {@code max_header_count}, default 100, as HAProxy's {@code tune.http.maxhdr}); bounds the
 *                          work one head costs whatever its shape
 * @param forwardingHeaders the headers added (key {@code forwarding_headers}, default all of them; {@code []} adds
 *                          none, as nginx's {@code proxy_pass} with no {@code proxy_set_header})
 * @param deferAccept       accept a client only once its first bytes have arrived (key {@code defer_accept}, default
 *                          true; Linux's TCP_DEFER_ACCEPT, as nginx's {@code listen ... deferred} and HAProxy's
 *                          {@code defer-accept}; HTTP clients speak first, and the event loop then wakes once per
 *                          new client instead of twice)
 * @param lingering         how a connection closes while the client may still send (keys {@code lingering_close},
 *                          {@code lingering_time}, {@code lingering_timeout}, {@code lingering_bytes})
 * @param protocols         what clients may speak, in order of preference (key {@code protocols}, default
 *                          {@code [h2, http/1.1]}): the ALPN offer on TLS, h2c by prior knowledge on plaintext when
 *                          {@code h2} is among them; never empty, no protocol twice
 * @param h2                the HTTP/2 connection limits and flood defences (key {@code h2})
 */
public record HttpOptions(int maxRequestLine, int maxHeaderSize, int maxHeaderCount,
                          Set<ForwardingHeader> forwardingHeaders, boolean deferAccept, LingeringOptions lingering,
                          List<HttpProtocol> protocols, Http2Options h2)
        implements ModeOptions {
    /** What {@code protocols} is when not written: HTTP/2 first, as browsers and gRPC clients prefer it. */
    public static final List<HttpProtocol> DEFAULT_PROTOCOLS = List.of(HttpProtocol.H2, HttpProtocol.HTTP_1_1);
    public static final HttpOptions DEFAULTS = new HttpOptions(8 * 1024, 32 * 1024, 100,
            EnumSet.allOf(ForwardingHeader.class), true, LingeringOptions.DEFAULTS, DEFAULT_PROTOCOLS,
            Http2Options.DEFAULTS);
    /** Smallest limit accepted: a request line or head below this could not carry an ordinary request. */
    public static final int MIN_LIMIT = 256;
    /** Largest limit accepted: Ferry holds up to this much of one head in memory per connection. */
    public static final int MAX_LIMIT = 1024 * 1024;
    /** Largest {@code max_header_count} accepted. */
    public static final int MAX_HEADER_COUNT = 10_000;

    public HttpOptions {
        forwardingHeaders = Collections.unmodifiableSet(forwardingHeaders.isEmpty()
                ? EnumSet.noneOf(ForwardingHeader.class) : EnumSet.copyOf(forwardingHeaders));
        protocols = List.copyOf(protocols);
        if (protocols.isEmpty() || Set.copyOf(protocols).size() != protocols.size()) {
            throw new IllegalArgumentException("protocols must name each protocol at most once, and at least one: "
                    + protocols);
        }
    }

    /** Whether clients may speak HTTP/2 (h2 by ALPN on TLS, h2c by prior knowledge on plaintext). */
    public boolean speaksHttp2() {
        return protocols.contains(HttpProtocol.H2);
    }

    /** SETTINGS_MAX_HEADER_LIST_SIZE: {@code h2.max_header_list_size}, else {@code max_header_size}. */
    public int h2MaxHeaderListSize() {
        return h2.maxHeaderListSize() == 0 ? maxHeaderSize : h2.maxHeaderListSize();
    }

    /** Whether clients may speak HTTP/1.x. */
    public boolean speaksHttp1() {
        return protocols.contains(HttpProtocol.HTTP_1_1);
    }

    @Override
    public Mode mode() {
        return Mode.HTTP;
    }

    /** With the default field count, headers, accept and lingering. */
    public HttpOptions(int maxRequestLine, int maxHeaderSize) {
        this(maxRequestLine, maxHeaderSize, DEFAULTS.maxHeaderCount(), DEFAULTS.forwardingHeaders(),
                DEFAULTS.deferAccept(), DEFAULTS.lingering(), DEFAULTS.protocols(), DEFAULTS.h2());
    }
}
