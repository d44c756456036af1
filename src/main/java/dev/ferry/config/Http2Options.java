package dev.ferry.config;

import java.time.Duration;

/**
 * {@code http.h2:} of an http frontend: what one HTTP/2 client connection may make Ferry hold and do, and where a
 * client that goes past it is cut off. Each limit bounds memory or work per connection whatever the client sends;
 * the numbers follow Envoy's {@code protocol_constraints} and Netty's defaults where those are sound.
 *
 * @param maxConcurrentStreams  SETTINGS_MAX_CONCURRENT_STREAMS announced and enforced (key
 *                              {@code max_concurrent_streams}, default 100, RFC 9113's floor); a stream past it is
 *                              refused (RST_STREAM REFUSED_STREAM)
 * @param maxHeaderListSize     SETTINGS_MAX_HEADER_LIST_SIZE in bytes (key {@code max_header_list_size}); 0 means
 *                              {@code http.max_header_size} ({@link HttpOptions#h2MaxHeaderListSize()})
 * @param maxResets             RST_STREAM frames a client may send per {@code resetWindow} (key {@code max_resets},
 *                              default 200): past it, GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487)
 * @param maxLocalResets        RST_STREAM frames with an error code (not NO_ERROR or CANCEL) Ferry itself may send per
 *                              {@code resetWindow} (key {@code max_local_resets}, default 200): past it, GOAWAY
 *                              ENHANCE_YOUR_CALM (MadeYouReset, CVE-2025-55163)
 * @param resetWindow           the window of both reset counts (key {@code reset_window}, default 30s, whole seconds)
 * @param maxControlFrames      PING, SETTINGS, PRIORITY and unknown-type frames a client may send per
 *                              {@code controlWindow} (key {@code max_control_frames}, default 1000): past it, GOAWAY
 *                              ENHANCE_YOUR_CALM
 * @param controlWindow         the window of that count (key {@code control_window}, default 10s)
 * @param maxQueuedControlFrames answers to control frames (PING and SETTINGS acknowledgements, RST_STREAM) that may
 *                              wait unsent because the client does not read (key {@code max_queued_control_frames},
 *                              default 1000, Envoy's {@code max_outbound_control_frames}): past it, GOAWAY
 *                              ENHANCE_YOUR_CALM
 * @param maxEmptyFrames        consecutive DATA frames without payload and without END_STREAM (key
 *                              {@code max_empty_frames}, default 1, Envoy's
 *                              {@code max_consecutive_inbound_frames_with_empty_payload}): one more is GOAWAY
 *                              ENHANCE_YOUR_CALM
 * @param maxContinuationFrames CONTINUATION frames under 8 KiB in one header block (key
 *                              {@code max_continuation_frames}, default 16, Netty's): one more is GOAWAY
 *                              ENHANCE_YOUR_CALM (CONTINUATION flood)
 */
public record Http2Options(int maxConcurrentStreams, int maxHeaderListSize, int maxResets, int maxLocalResets,
                           Duration resetWindow, int maxControlFrames, Duration controlWindow,
                           int maxQueuedControlFrames, int maxEmptyFrames, int maxContinuationFrames) {
    public static final Http2Options DEFAULTS = new Http2Options(100, 0, 200, 200, Duration.ofSeconds(30), 1000,
            Duration.ofSeconds(10), 1000, 1, 16);
    /** Largest {@code max_concurrent_streams} accepted: each stream is an exchange with its own server request. */
    public static final int MAX_CONCURRENT_STREAMS = 10_000;
    /** Largest window of the reset counts (Netty counts whole seconds). */
    public static final Duration MAX_RESET_WINDOW = Duration.ofHours(1);

    public Http2Options {
        if (maxConcurrentStreams < 1 || maxHeaderListSize < 0 || maxResets < 1 || maxLocalResets < 1
                || maxControlFrames < 1 || maxQueuedControlFrames < 1 || maxEmptyFrames < 1
                || maxContinuationFrames < 1) {
            throw new IllegalArgumentException("h2 limits must be at least 1");
        }
        if (resetWindow.toMillis() % 1000 != 0 || resetWindow.isNegative() || resetWindow.isZero()
                || controlWindow.isNegative() || controlWindow.isZero()) {
            throw new IllegalArgumentException("reset_window is whole seconds, both windows more than 0");
        }
    }
}
