package dev.ferry.transport;

import io.netty.channel.ConnectTimeoutException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 17 item 6: the one place that words network failures (health checks, proxies and listeners alike). */
class ReasonsTest {
    @Test
    void dropsTheNativeCallTheErrorNumberAndTheTrailingAddress() {
        assertThat(Reasons.of(new IOException(
                "finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1")))
                .isEqualTo("connection refused");
        assertThat(Reasons.of(new IOException("Connection refused: localhost/127.0.0.1:1")))
                .isEqualTo("connection refused");
        assertThat(Reasons.of(new ConnectTimeoutException("connection timed out after 2000 ms: /10.0.0.1:80")))
                .isEqualTo("connect timed out");
        assertThat(Reasons.of(new IOException())).isEqualTo("ioexception");
        assertThat(Reasons.of(null)).isEqualTo("unknown failure");
    }

    @Test
    void aBindFailureSaysWhyWithoutTheCall() {
        assertThat(Reasons.ofBind(new BindException("bind(..) failed with error(-98): Address already in use")))
                .isEqualTo("address already in use");
        assertThat(Reasons.ofBind(new BindException("bind(..) failed: Address already in use")))
                .isEqualTo("address already in use");
        assertThat(Reasons.ofBind(new BindException("Address already in use"))).isEqualTo("address already in use");
    }
}
