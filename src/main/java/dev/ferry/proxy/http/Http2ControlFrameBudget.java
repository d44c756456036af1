package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;

/**
 * The flood defence Netty lacks for a client that reads what it is sent: at most {@code max} PING, SETTINGS,
 * PRIORITY and unknown-type frames per window ({@code http.h2.max_control_frames} per {@code control_window}). Each
 * costs Ferry work (an answer, a settings change, a priority-tree update) and none is needed in bulk, so a client past
 * the budget is cut off with GOAWAY ENHANCE_YOUR_CALM. Netty's own {@code encoderEnforceMaxQueuedControlFrames}
 * covers the client that does not read the answers. The window is fixed (it starts at the first frame counted and
 * again at the first one after it ended), as Netty's RST_STREAM limit counts.
 *
 * <p>Threading: one per connection, on its event loop; time comes from the caller (the loop's Timeline).
 */
final class Http2ControlFrameBudget {
    private final int max;
    private final long windowNanos;
    private long windowStart;
    private int count;

    Http2ControlFrameBudget(int max, long windowNanos) {
        this.max = max;
        this.windowNanos = windowNanos;
    }

    /** Counts one control frame read at {@code now}; throws the connection error once past the budget. */
    void frame(long now) throws Http2Exception {
        if (count == 0 || now - windowStart >= windowNanos) {
            windowStart = now;
            count = 1;
            return;
        }
        if (++count > max) {
            throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, "%s: more than %d in %d ms",
                    Http2Violation.CONTROL_FLOOD_MESSAGE, max, windowNanos / 1_000_000);
        }
    }
}
