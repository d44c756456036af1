package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Stream;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The open-connection and open-stream gauges against Netty's own connection model (the one
 * {@link Http2ProxyConnection}'s codec keeps): streams count while active, and a connection that ends takes its
 * streams still open with it, once.
 */
class Http2GaugesTest {
    private final Http2Gauges gauges = new Http2Gauges();

    /** A server-side HTTP/2 connection as the codec keeps it, with {@code c} listening. */
    private static Http2Connection connection(Http2Gauges.Connection c) {
        Http2Connection connection = new DefaultHttp2Connection(true);
        connection.addListener(c);
        return connection;
    }

    @Test
    void streamsCountWhileActiveOverEveryConnection() throws Http2Exception {
        Http2Connection a = connection(gauges.opened());
        Http2Connection b = connection(gauges.opened());
        Http2Stream a1 = a.remote().createStream(1, false);
        a.remote().createStream(3, true); // a request without a body: half-closed, still open
        Http2Stream b1 = b.remote().createStream(1, false);
        assertThat(gauges.connections()).isEqualTo(2);
        assertThat(gauges.streams()).isEqualTo(3);

        a1.close();
        b1.close();
        b1.close(); // closing a closed stream tells no listener again

        assertThat(gauges.streams()).isEqualTo(1);
        assertThat(gauges.connections()).isEqualTo(2);
    }

    @Test
    void aConnectionThatEndsWithStreamsOpenTakesThemAlongOnce() throws Http2Exception {
        Http2Gauges.Connection dying = gauges.opened();
        Http2Connection d = connection(dying);
        Http2Gauges.Connection living = gauges.opened();
        Http2Connection l = connection(living);
        d.remote().createStream(1, false);
        d.remote().createStream(3, false);
        Http2Stream l1 = l.remote().createStream(1, false);

        dying.closed();

        assertThat(gauges.connections()).isEqualTo(1);
        assertThat(gauges.streams()).isEqualTo(1);
        // What the codec reports of the dead connection afterwards changes nothing, nor does closing it again.
        d.stream(1).close();
        d.remote().createStream(5, false);
        dying.closed();
        assertThat(gauges.connections()).isEqualTo(1);
        assertThat(gauges.streams()).isEqualTo(1);

        l1.close();
        living.closed();
        assertThat(gauges.connections()).isZero();
        assertThat(gauges.streams()).isZero();
    }
}
