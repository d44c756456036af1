package dev.ferry.health;

import dev.ferry.transport.Reasons;
import dev.ferry.transport.ServerTls;
import dev.ferry.transport.TlsOriginator;
import dev.ferry.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * A layer-4 check that talks: once connected it sends {@code request} (if any), then reads the reply and lets a
 * {@link ReplyJudge} decide, at most {@value #MAX_REPLY} bytes of it. Without a judge the check passes once the
 * request is written. The protocol checks ({@code type: redis}, {@code pgsql}, {@code mysql}) and {@code type: tcp}
 * with {@code send}/{@code expect} are this probe with their own request and judge.
 *
 * <p>Threading: as {@link HealthProbe}; each check's handler lives on its channel's event loop. Buffer ownership:
 * the handler owns the reply it gathers and releases it when the channel's pipeline is torn down.
 */
public final class RequestReplyProbe implements HealthProbe {
    /** The most of a reply a judge is shown: a probe's answer is short (HAProxy looks at one buffer). */
    static final int MAX_REPLY = 16 * 1024;

    private final Transport transport;
    private final byte[] request;
    private final ReplyJudge judge;

    /**
     * @param request bytes to send once connected; null to send nothing (a banner check)
     * @param judge   decides from the reply; null to pass once the request is written
     */
    RequestReplyProbe(Transport transport, byte[] request, ReplyJudge judge) {
        if (request == null && judge == null) {
            throw new IllegalArgumentException("a request, a judge or both");
        }
        this.transport = transport;
        this.request = request == null ? null : request.clone();
        this.judge = judge;
    }

    @Override
    public void check(EventLoop loop, InetSocketAddress target, long timeoutNanos, Consumer<ProbeResult> done) {
        check(loop, target, null, timeoutNanos, done);
    }

    @Override
    public void check(EventLoop loop, InetSocketAddress target, ServerTls tls, long timeoutNanos,
                      Consumer<ProbeResult> done) {
        ProbeExchange.run(transport, loop, target, tls, TlsOriginator.Alpn.NONE, timeoutNanos, Conversation::new,
                null, done);
    }

    private final class Conversation extends ChannelInboundHandlerAdapter {
        private final ProbeExchange exchange;
        private ByteBuf reply;

        Conversation(ProbeExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (request != null) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(request)).addListener(f -> {
                    if (!f.isSuccess()) {
                        exchange.finish(ProbeResult.fail(Reasons.of(f.cause())));
                    } else if (judge == null) {
                        exchange.finish(ProbeResult.pass("sent " + request.length + " bytes"));
                    }
                });
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (exchange.isFinished() || judge == null || !(msg instanceof ByteBuf bytes)) {
                    return;
                }
                if (reply == null) {
                    reply = ctx.alloc().heapBuffer(Math.min(MAX_REPLY, Math.max(64, bytes.readableBytes())));
                }
                reply.writeBytes(bytes, Math.min(bytes.readableBytes(), MAX_REPLY - reply.readableBytes()));
                ProbeResult verdict = judge.judge(reply);
                if (verdict != null) {
                    exchange.finish(verdict);
                } else if (reply.readableBytes() >= MAX_REPLY) {
                    exchange.finish(ProbeResult.fail("no answer the check accepts in the first " + MAX_REPLY
                            + " bytes of the reply"));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!exchange.isFinished()) {
                exchange.finish(judge == null ? ProbeResult.fail("server closed the connection")
                        : judge.closed(reply == null ? Unpooled.EMPTY_BUFFER : reply));
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exchange.finish(ProbeResult.fail(Reasons.of(cause)));
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (reply != null) {
                reply.release();
                reply = null;
            }
        }
    }
}
