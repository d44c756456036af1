package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Stream;

import java.util.concurrent.atomic.LongAdder;

/**
 * An http frontend's HTTP/2 client connections and streams open now. Exported as
 * {@code ferry_http2_active_connections{frontend}} and {@code ferry_http2_active_streams{frontend}}, and in the
 * status API's {@code http2} of each http frontend.
 *
 * <p>Each HTTP/2 connection takes a {@link Connection} when it starts ({@link #opened()}), registers it with its
 * codec's connection (so it hears every stream become active and close, as Netty counts them against
 * SETTINGS_MAX_CONCURRENT_STREAMS) and closes it when the channel goes. Closing takes the connection's streams that
 * are still counted off the frontend's count, so a connection that dies with streams open leaves nothing behind,
 * whatever the codec still reports afterwards.
 *
 * <p>Threading: the totals are {@link LongAdder}s, changed from every event loop and read from any thread (a read
 * while connections come and go may be a moment old, never negative for long). A {@link Connection} is used on its
 * channel's event loop only.
 */
public final class Http2Gauges {
    private final LongAdder connections = new LongAdder();
    private final LongAdder streams = new LongAdder();

    /** HTTP/2 client connections open now. */
    public long connections() {
        return connections.sum();
    }

    /** Streams open now (active: open or half-closed) over those connections. */
    public long streams() {
        return streams.sum();
    }

    /** Counts a new HTTP/2 connection; the caller closes what it gets exactly when the connection ends. */
    Connection opened() {
        connections.increment();
        return new Connection();
    }

    /** One connection's share of the gauges: its streams, heard from its codec, until it closes. */
    final class Connection extends Http2ConnectionAdapter {
        private long open;
        private boolean closed;

        @Override
        public void onStreamActive(Http2Stream stream) {
            if (!closed) {
                open++;
                streams.increment();
            }
        }

        @Override
        public void onStreamClosed(Http2Stream stream) {
            if (!closed && open > 0) {
                open--;
                streams.decrement();
            }
        }

        /** The connection ended: it and its streams still counted go from the totals. Again: nothing. */
        void closed() {
            if (!closed) {
                closed = true;
                streams.add(-open);
                open = 0;
                connections.decrement();
            }
        }
    }
}
