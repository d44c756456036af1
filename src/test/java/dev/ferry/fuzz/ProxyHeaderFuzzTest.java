package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.config.ProxyProtocolVersion;
import dev.ferry.transport.ProxyHeaderPrefix;
import dev.ferry.transport.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.util.Arrays;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the PROXY protocol header, v1 and v2, as a frontend with {@code proxy_protocol: true} reads it: Ferry's
 * {@link ProxyHeaderPrefix}, Netty's {@link HAProxyMessageDecoder}, then {@link ProxyProtocol#endpoints}. The first
 * input byte picks the split into two reads. Invariants:
 * <ul>
 *   <li>the connection is refused (a {@link DecoderException}, which the frontend answers by closing) or the header
 *       is read, or more bytes are awaited; nothing else escapes, and reading the stated endpoints never throws;</li>
 *   <li>how the bytes were split into reads changes nothing;</li>
 *   <li>bytes behind the header reach the next handler unchanged;</li>
 *   <li>stated endpoints, written again as Ferry writes them to a server ({@code send_proxy}, v1 and v2), read back
 *       as the same endpoints.</li>
 * </ul>
 */
class ProxyHeaderFuzzTest {
    @FuzzTest
    void proxyHeader(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] input = Arrays.copyOfRange(data, 1, data.length);
        int split = (data[0] & 0xff) * input.length / 255;
        Outcome whole = read(input, input.length);
        Outcome parts = read(input, split);
        String what = "input: " + ByteBufUtil.hexDump(input);
        assertThat(parts).as(what).isEqualTo(whole);
        if (whole.header != null && whole.endpoints != null) {
            boolean v4 = whole.endpoints.source().getAddress() instanceof Inet4Address
                    && whole.endpoints.destination().getAddress() instanceof Inet4Address;
            for (ProxyProtocolVersion version : ProxyProtocolVersion.values()) {
                byte[] written = write(version, whole.endpoints);
                Outcome again = read(written, written.length);
                assertThat(again.refusal).as(what + " written as " + version).isNull();
                assertThat(again.endpoints).as(what + " written as " + version).isNotNull();
                if (v4 || version != ProxyProtocolVersion.V1) {
                    assertThat(again.endpoints).as(what + " written as " + version).isEqualTo(whole.endpoints);
                } else {
                    // v1 TCP6 carries IPv4 addresses in their mapped form: the same address, the same ports.
                    assertThat(again.endpoints.source().getPort()).isEqualTo(whole.endpoints.source().getPort());
                    assertThat(again.endpoints.destination().getPort())
                            .isEqualTo(whole.endpoints.destination().getPort());
                }
                assertThat(again.behind).isEmpty();
            }
        }
    }

    /** What the pipeline made of the bytes: a refusal, or a header (and its endpoints) and the bytes behind it. */
    record Outcome(String refusal, String header, ProxyProtocol.Endpoints endpoints, String behind) {
    }

    private static Outcome read(byte[] input, int split) {
        Collector collector = new Collector();
        EmbeddedChannel ch = new EmbeddedChannel(new ProxyHeaderPrefix(), new HAProxyMessageDecoder(), collector);
        try {
            int at = Math.max(0, Math.min(split, input.length));
            if (ch.isActive()) {
                ch.writeInbound(Unpooled.copiedBuffer(input, 0, at));
            }
            if (ch.isActive() && collector.refusal == null) {
                ch.writeInbound(Unpooled.copiedBuffer(input, at, input.length - at));
            }
            ch.checkException();
        } finally {
            ch.finishAndReleaseAll();
        }
        if (collector.refusal != null) {
            // Refused: whatever came before the refusal does not matter, the connection closes.
            return new Outcome(collector.refusal, null, null, "");
        }
        return new Outcome(null, collector.header, collector.endpoints, ByteBufUtil.hexDump(collector.behind.toByteArray()));
    }

    private static byte[] write(ProxyProtocolVersion version, ProxyProtocol.Endpoints endpoints) {
        EmbeddedChannel server = new EmbeddedChannel();
        try {
            ProxyProtocol.write(server, version, endpoints.source(), endpoints.destination());
            server.flushOutbound();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Object o;
            while ((o = server.readOutbound()) != null) {
                ByteBuf b = (ByteBuf) o;
                out.writeBytes(ByteBufUtil.getBytes(b));
                b.release();
            }
            return out.toByteArray();
        } finally {
            server.finishAndReleaseAll();
        }
    }

    /** Stands for the proxy connection: takes the header as the frontend does, keeps what follows. */
    private static final class Collector extends ChannelInboundHandlerAdapter {
        String refusal;
        String header;
        ProxyProtocol.Endpoints endpoints;
        final ByteArrayOutputStream behind = new ByteArrayOutputStream();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                switch (msg) {
                    case HAProxyMessage h -> {
                        assertThat(header).as("a second header").isNull();
                        assertThat(behind.size()).as("bytes before the header").isZero();
                        header = h.protocolVersion() + " " + h.command() + " " + h.proxiedProtocol() + " "
                                + h.sourceAddress() + ":" + h.sourcePort() + " " + h.destinationAddress() + ":"
                                + h.destinationPort() + " tlvs:" + h.tlvs().size();
                        assertThat(h.protocolVersion()).isIn(HAProxyProtocolVersion.V1, HAProxyProtocolVersion.V2);
                        endpoints = ProxyProtocol.endpoints(h);
                    }
                    case ByteBuf b -> {
                        assertThat(header).as("bytes before a header").isNotNull();
                        behind.writeBytes(ByteBufUtil.getBytes(b));
                    }
                    default -> throw new AssertionError("unexpected " + msg.getClass());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof DecoderException)) {
                throw new AssertionError("not a refusal: " + cause, cause);
            }
            if (refusal == null) {
                refusal = Objects.toString(cause.getClass().getSimpleName());
            }
            ctx.close();
        }
    }
}
