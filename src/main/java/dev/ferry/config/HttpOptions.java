package dev.ferry.config;

import java.util.Collections;
import java.util.EnumSet;
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
 */
public record HttpOptions(int maxRequestLine, int maxHeaderSize, int maxHeaderCount,
                          Set<ForwardingHeader> forwardingHeaders, boolean deferAccept, LingeringOptions lingering)
        implements ModeOptions {
    public static final HttpOptions DEFAULTS = new HttpOptions(8 * 1024, 32 * 1024, 100,
            EnumSet.allOf(ForwardingHeader.class), true, LingeringOptions.DEFAULTS);
    /** Smallest limit accepted: a request line or head below this could not carry an ordinary request. */
    public static final int MIN_LIMIT = 256;
    /** Largest limit accepted: Ferry holds up to this much of one head in memory per connection. */
    public static final int MAX_LIMIT = 1024 * 1024;
    /** Largest {@code max_header_count} accepted. */
    public static final int MAX_HEADER_COUNT = 10_000;

    public HttpOptions {
        forwardingHeaders = Collections.unmodifiableSet(forwardingHeaders.isEmpty()
                ? EnumSet.noneOf(ForwardingHeader.class) : EnumSet.copyOf(forwardingHeaders));
    }

    @Override
    public Mode mode() {
        return Mode.HTTP;
    }

    /** With the default field count, headers, accept and lingering. */
    public HttpOptions(int maxRequestLine, int maxHeaderSize) {
        this(maxRequestLine, maxHeaderSize, DEFAULTS.maxHeaderCount(), DEFAULTS.forwardingHeaders(),
                DEFAULTS.deferAccept(), DEFAULTS.lingering());
    }
}
