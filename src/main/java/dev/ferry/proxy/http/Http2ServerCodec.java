package dev.ferry.proxy.http;

import dev.ferry.config.Http2Options;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * Netty's HTTP/2 connection handler as Ferry's client connections use it: built with the frontend's
 * {@code http.h2} limits, and counting each protocol violation ({@link Http2Violation}) before Netty answers it (a
 * stream error: RST_STREAM; a connection error: GOAWAY and close).
 *
 * <p>What comes from Netty, configured here: SETTINGS_MAX_CONCURRENT_STREAMS enforced at once (REFUSED_STREAM past
 * it), SETTINGS_MAX_HEADER_LIST_SIZE (431 over it, GOAWAY over 1.25 times it while the block is still arriving),
 * the CONTINUATION flood limit ({@code decoderEnforceMaxSmallContinuationFrames}), rapid reset
 * ({@code decoderEnforceMaxRstFramesPerWindow}), MadeYouReset ({@code encoderEnforceMaxRstFramesPerWindow}: stream
 * errors Ferry sends), unanswered control frames ({@code encoderEnforceMaxQueuedControlFrames}) and consecutive empty
 * DATA frames ({@code decoderEnforceMaxConsecutiveEmptyDataFrames}); header validation (RFC 9113 8.2.1, 8.3) and a
 * first frame that is not SETTINGS. What Ferry adds (in {@link Http2ProxyConnection}): the control-frame budget
 * ({@link Http2ControlFrameBudget}), {@code max_header_count}, the rules of {@link Http2RequestChecks}.
 *
 * <p>Threading: one per connection, on its event loop.
 */
final class Http2ServerCodec extends Http2ConnectionHandler {
    private final Http2Stats stats;
    /**
     * Set by the first connection error: the connection is going away, and frames already read behind the one at
     * fault (a client writing blind past its window sends many) are not further violations of their own.
     */
    private boolean failed;

    private Http2ServerCodec(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
                             Http2Stats stats) {
        super(decoder, encoder, settings);
        this.stats = stats;
    }

    /** A codec with {@code limits} whose frames go to {@code listener} and are counted in {@code stats}. */
    static Http2ServerCodec of(Http2Options limits, int maxHeaderListSize, Http2FrameListener listener,
                               Http2FrameCounter frames, Http2Stats stats) {
        return new Builder(stats).codec(limits, maxHeaderListSize, listener, frames);
    }

    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
                                     Http2Exception http2Ex) {
        if (http2Ex != null && !failed) {
            stats.violation(Http2Violation.of(http2Ex, false));
        }
        failed = true;
        super.onConnectionError(ctx, outbound, cause, http2Ex);
    }

    @Override
    protected void onStreamError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
                                 Http2Exception.StreamException http2Ex) {
        if (!failed) {
            stats.violation(Http2Violation.of(http2Ex, true));
        }
        super.onStreamError(ctx, outbound, cause, http2Ex);
    }

    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2ServerCodec, Builder> {
        private final Http2Stats stats;

        Builder(Http2Stats stats) {
            this.stats = stats;
        }

        @Override
        protected Http2ServerCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                         Http2Settings initialSettings) {
            return new Http2ServerCodec(decoder, encoder, initialSettings, stats);
        }

        /** Netty's builder methods are protected: they are called here, on this builder. */
        Http2ServerCodec codec(Http2Options limits, int maxHeaderListSize, Http2FrameListener listener,
                               Http2FrameCounter frames) {
            int window = (int) limits.resetWindow().toSeconds();
            return server(true)
                    .initialSettings(new Http2Settings()
                            .maxConcurrentStreams(limits.maxConcurrentStreams())
                            .maxHeaderListSize(maxHeaderListSize))
                    .validateHeaders(true)
                    .validateRequiredPseudoHeaders(true)
                    .frameLogger(frames)
                    .decoderEnforceMaxSmallContinuationFrames(limits.maxContinuationFrames())
                    .decoderEnforceMaxRstFramesPerWindow(limits.maxResets(), window)
                    .encoderEnforceMaxRstFramesPerWindow(limits.maxLocalResets(), window)
                    .encoderEnforceMaxQueuedControlFrames(limits.maxQueuedControlFrames())
                    .decoderEnforceMaxConsecutiveEmptyDataFrames(limits.maxEmptyFrames())
                    // Closing (idle timeout, drain, stop) sends GOAWAY and closes at once: the connection waits
                    // for its streams itself before it closes.
                    .gracefulShutdownTimeoutMillis(0)
                    .frameListener(listener)
                    .build();
        }
    }
}
