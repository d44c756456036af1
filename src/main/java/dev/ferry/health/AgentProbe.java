package dev.ferry.health;

import dev.ferry.transport.Reasons;
import dev.ferry.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code type: agent}, and dynamic feedback's poll: connects to the server's agent, reads one line (up to a newline
 * or the agent closing, at most {@value AgentReply#MAX_LENGTH} bytes) and parses it as an {@link AgentReply}. The
 * check passes unless the agent says {@code down}, {@code fail}, {@code stopped} or {@code maint}, or its reply cannot
 * be read.
 */
public final class AgentProbe implements HealthProbe {
    private final Transport transport;

    public AgentProbe(Transport transport) {
        this.transport = transport;
    }

    @Override
    public void check(EventLoop loop, InetSocketAddress target, long timeoutNanos, Consumer<ProbeResult> done) {
        ProbeExchange.run(transport, loop, target, timeoutNanos, LineReader::new, null, done);
    }

    /** Result of a line as the check sees it. */
    static ProbeResult judge(String line) {
        try {
            AgentReply reply = AgentReply.parse(line);
            return new ProbeResult(reply.serverMayWork(), reply.describe(), Optional.of(reply));
        } catch (IllegalArgumentException e) {
            return ProbeResult.fail("unreadable agent reply: " + e.getMessage());
        }
    }

    private static final class LineReader extends ChannelInboundHandlerAdapter {
        private final ProbeExchange exchange;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineReader(ProbeExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                ByteBuf bytes = (ByteBuf) msg;
                while (bytes.isReadable() && !exchange.isFinished()) {
                    byte b = bytes.readByte();
                    if (b == '\n') {
                        complete();
                    } else if (line.size() >= AgentReply.MAX_LENGTH) {
                        exchange.finish(ProbeResult.fail("agent reply longer than " + AgentReply.MAX_LENGTH
                                + " bytes"));
                    } else {
                        line.write(b);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (line.size() > 0) {
                complete();
            } else {
                exchange.finish(ProbeResult.fail("agent closed the connection without a reply"));
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exchange.finish(ProbeResult.fail(Reasons.of(cause)));
        }

        private void complete() {
            exchange.finish(judge(line.toString(StandardCharsets.US_ASCII)));
        }
    }
}
