package dev.ferry.feedback;

import dev.ferry.health.LoadReport;
import dev.ferry.transport.Reasons;
import dev.ferry.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ferry agent}: samples this host's load every {@value #SAMPLE_PERIOD_MILLIS} ms on a thread of its own
 * (reading /proc never touches an event loop) and answers every TCP connection with the latest sample as one
 * {@link LoadReport} line, then closes it. Anything the peer sends (HAProxy may send {@code agent-send} text) is
 * read and dropped.
 *
 * <p>Threading: {@link #start} and {@link #close} from one thread (the CLI's); the rest runs on the agent's own
 * event loop and sampling thread.
 */
public final class LoadAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoadAgent.class);
    public static final long SAMPLE_PERIOD_MILLIS = 1_000;

    private final ProcLoadSampler sampler;
    private final Transport transport = new Transport(1);
    private final ScheduledExecutorService sampling = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ferry-agent-sampler");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<String> line = new AtomicReference<>();
    private Channel listener;

    public LoadAgent(ProcLoadSampler sampler) {
        this.sampler = sampler;
    }

    /**
     * Takes a first sample (so a bad /proc is reported before listening), binds, and starts sampling.
     *
     * @return the bound address
     * @throws IOException when /proc cannot be read or the address cannot be bound
     */
    public InetSocketAddress start(InetSocketAddress listen) throws IOException {
        try {
            line.set(sampler.sample().toLine() + "\n");
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        ChannelFuture bound = new ServerBootstrap().group(transport.workers())
                .channel(transport.serverChannel())
                .childHandler(new Answer())
                .bind(listen).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            BindException e = new BindException("cannot listen on " + listen.getHostString() + ":" + listen.getPort()
                    + ": " + Reasons.ofBind(bound.cause()));
            e.initCause(bound.cause());
            throw e;
        }
        listener = bound.channel();
        sampling.scheduleAtFixedRate(this::sample, SAMPLE_PERIOD_MILLIS, SAMPLE_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        return (InetSocketAddress) listener.localAddress();
    }

    private void sample() {
        try {
            line.set(sampler.sample().toLine() + "\n");
        } catch (IOException | RuntimeException e) {
            // Keep answering with the last good sample; the balancer sees the load freeze, not an outage.
            log.warn("cannot sample the load: {}", e.getMessage());
        }
    }

    /** The line the agent answers with now. */
    public String currentLine() {
        return line.get();
    }

    @Override
    public void close() {
        sampling.shutdownNow();
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        transport.close();
    }

    @ChannelHandler.Sharable
    private final class Answer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ByteBuf reply = Unpooled.copiedBuffer(line.get(), StandardCharsets.US_ASCII);
            ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
