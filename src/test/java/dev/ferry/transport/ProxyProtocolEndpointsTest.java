package dev.ferry.transport;

import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ProxyProtocol#endpoints}: what a decoded header states, and what it may not state. */
class ProxyProtocolEndpointsTest {
    private static HAProxyMessage v2(String src, String dst, int srcPort, int dstPort) {
        return new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                src, dst, srcPort, dstPort);
    }

    @Test
    void statesTheClientAndDestination() {
        HAProxyMessage h = v2("192.0.2.1", "198.51.100.2", 56324, 443);
        try {
            assertThat(ProxyProtocol.endpoints(h)).isEqualTo(new ProxyProtocol.Endpoints(
                    new InetSocketAddress("192.0.2.1", 56324), new InetSocketAddress("198.51.100.2", 443)));
        } finally {
            h.release();
        }
    }

    /** Found by ProxyHeaderFuzzTest: a v2 header may carry port 0, which no v1 header (send_proxy: v1) can pass on. */
    @Test
    void portZeroIsRefused() {
        for (HAProxyMessage h : new HAProxyMessage[] {v2("192.0.2.1", "198.0.0.0", 0, 0),
                v2("192.0.2.1", "198.0.0.1", 1, 0), v2("192.0.2.1", "198.0.0.1", 0, 80)}) {
            try {
                assertThatThrownBy(() -> ProxyProtocol.endpoints(h)).isInstanceOf(HAProxyProtocolException.class)
                        .hasMessageContaining("port 0");
            } finally {
                h.release();
            }
        }
    }
}
