package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;

/**
 * What an HTTP/2 client did wrong, as {@code ferry_http2_protocol_violations_total{frontend,kind}} names it: one kind
 * per defence (the flood limits of {@code http.h2}), and the protocol errors by their RFC 9113 type. Netty reports its
 * own limits as ENHANCE_YOUR_CALM connection errors told apart only by their messages, which {@link #of} reads (the
 * Netty version is pinned, and {@code Http2LimitsTest} fails when a message changes).
 *
 * <p>Threading: stateless.
 */
enum Http2Violation {
    /** More RST_STREAM frames from the client than {@code max_resets} per window (CVE-2023-44487). */
    RAPID_RESET("rapid_reset"),
    /** The client made Ferry send more stream errors than {@code max_local_resets} per window (CVE-2025-55163). */
    LOCAL_RESETS("local_resets"),
    /** More PING, SETTINGS, PRIORITY or unknown frames than {@code max_control_frames} per window. */
    CONTROL_FLOOD("control_flood"),
    /** More unsent control-frame answers than {@code max_queued_control_frames}: the client does not read. */
    QUEUED_CONTROL_FRAMES("queued_control_frames"),
    /** More consecutive empty DATA frames than {@code max_empty_frames}. */
    EMPTY_FRAMES("empty_frames"),
    /** More small CONTINUATION frames in one header block than {@code max_continuation_frames}. */
    CONTINUATION_FLOOD("continuation_flood"),
    /** A header list over {@code max_header_list_size} (431, or GOAWAY when far over). */
    HEADER_LIST_SIZE("header_list_size"),
    /** More header fields than {@code max_header_count} (431). */
    HEADER_COUNT("header_count"),
    /** A stream past {@code max_concurrent_streams} (or opened while draining): REFUSED_STREAM. */
    REFUSED_STREAM("refused_stream"),
    /** A malformed request (RFC 9113 8.1.1): its stream is reset with PROTOCOL_ERROR. */
    MALFORMED_REQUEST("malformed_request"),
    /** A frame on a stream closed to it: STREAM_CLOSED. */
    STREAM_CLOSED("stream_closed"),
    /** A flow-control window broken. */
    FLOW_CONTROL("flow_control"),
    /** A frame larger than SETTINGS_MAX_FRAME_SIZE, or of a wrong fixed size. */
    FRAME_SIZE("frame_size"),
    /** Any other connection error (a bad preface, a frame where none may be, ...). */
    PROTOCOL_ERROR("protocol_error");

    /** The message Ferry's own control-frame limit raises (see {@link Http2ControlFrameBudget}). */
    static final String CONTROL_FLOOD_MESSAGE = "too many control frames";
    /** The message Ferry's {@code max_header_count} check raises. */
    static final String HEADER_COUNT_MESSAGE = "too many header fields";

    private final String label;

    Http2Violation(String label) {
        this.label = label;
    }

    /** The metric's {@code kind} value. */
    String label() {
        return label;
    }

    /** The kind of {@code e}, a stream error when {@code stream} is true. */
    static Http2Violation of(Http2Exception e, boolean stream) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof Http2Exception.HeaderListSizeException) {
            return message.startsWith(HEADER_COUNT_MESSAGE) ? HEADER_COUNT : HEADER_LIST_SIZE;
        }
        if (message.startsWith("Header size exceeded")) {
            return HEADER_LIST_SIZE;
        }
        return switch (e.error()) {
            case ENHANCE_YOUR_CALM -> calm(message);
            case REFUSED_STREAM -> REFUSED_STREAM;
            case STREAM_CLOSED -> STREAM_CLOSED;
            case FLOW_CONTROL_ERROR -> FLOW_CONTROL;
            case FRAME_SIZE_ERROR -> FRAME_SIZE;
            default -> stream && e.error() == Http2Error.PROTOCOL_ERROR ? MALFORMED_REQUEST : PROTOCOL_ERROR;
        };
    }

    private static Http2Violation calm(String message) {
        if (message.startsWith(CONTROL_FLOOD_MESSAGE)) {
            return CONTROL_FLOOD;
        }
        if (message.contains("RST frames frames reached")) {
            // Netty's encoder-side limit (Http2MaxRstFrameLimitEncoder), whose message doubles the word.
            return LOCAL_RESETS;
        }
        if (message.contains("RST frames reached")) {
            return RAPID_RESET;
        }
        if (message.contains("outstanding control frames")) {
            return QUEUED_CONTROL_FRAMES;
        }
        if (message.contains("empty data frames")) {
            return EMPTY_FRAMES;
        }
        if (message.contains("continuations frames")) {
            return CONTINUATION_FLOOD;
        }
        return PROTOCOL_ERROR;
    }
}
