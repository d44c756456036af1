package dev.ferry.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SelectStrategy;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The select strategy's decisions, with a flusher of its own and an in-memory channel that shows whether it was
 * flushed; then the strategy in Ferry's real event loops (epoll and NIO) echoing over loopback sockets.
 */
class FlushWhenDrainedTest {
    private final LoopFlusher flusher = new LoopFlusher();
    private final FlushWhenDrained strategy = new FlushWhenDrained(flusher, TimeUnit.MINUTES.toNanos(1));
    private final EmbeddedChannel channel = new EmbeddedChannel();

    private void writeAndAskForFlush(String text) {
        channel.write(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        flusher.add(channel);
    }

    private boolean flushed() {
        return !channel.outboundMessages().isEmpty();
    }

    @Test
    void withNothingHeldItBlocksUnlessTasksWait() throws Exception {
        assertThat(strategy.calculateStrategy(() -> 3, false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(strategy.calculateStrategy(() -> 3, true)).isEqualTo(3);
    }

    @Test
    void holdsFlushesWhilePollsBringWorkAndFlushesWhenOneBringsNothing() throws Exception {
        writeAndAskForFlush("request");
        assertThat(strategy.calculateStrategy(() -> 2, false)).isEqualTo(2);
        assertThat(flushed()).isFalse();
        assertThat(flusher.hasPending()).isTrue();

        assertThat(strategy.calculateStrategy(() -> 0, false)).isZero();
        assertThat(flushed()).isTrue();
        assertThat(flusher.hasPending()).isFalse();
        assertThat(strategy.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.SELECT);
        channel.finishAndReleaseAll();
    }

    @Test
    void aFlushHeldTooLongGoesOutBeforeTheNextPollEvenWhileWorkKeepsComing() throws Exception {
        FlushWhenDrained impatient = new FlushWhenDrained(flusher, 1);
        writeAndAskForFlush("request");
        long heldSince = System.nanoTime();
        while (System.nanoTime() - heldSince < 1_000) {
            Thread.onSpinWait();
        }
        AtomicBoolean flushedBeforePoll = new AtomicBoolean();
        int ready = impatient.calculateStrategy(() -> {
            flushedBeforePoll.set(flushed());
            return 5;
        }, false);
        assertThat(ready).isEqualTo(5);
        assertThat(flushedBeforePoll).isTrue();
        channel.finishAndReleaseAll();
    }

    /**
     * Real loops: the server echoes every read and asks for a flush; a plain socket client must get each echo back,
     * whether it waits for each one (the poll after the read finds nothing) or writes many before reading. A flush
     * asked for from a task, with no I/O around it, goes out too.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void echoesThroughFerrysLoopsArriveWhetherClientsWaitOrStream(boolean epoll) throws Exception {
        try (Transport transport = new Transport(1, epoll)) {
            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(transport.workers()).channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.complete(ch);
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ctx.write(msg);
                                    LoopFlusher.flushSoon(ctx.channel());
                                }
                            });
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress(), 5_000);
                client.setSoTimeout(5_000);
                OutputStream out = client.getOutputStream();
                DataInputStream in = new DataInputStream(client.getInputStream());

                for (int i = 0; i < 50; i++) {
                    out.write(("ping" + i % 10).getBytes(StandardCharsets.US_ASCII));
                    byte[] echo = new byte[5];
                    in.readFully(echo);
                    assertThat(new String(echo, StandardCharsets.US_ASCII)).isEqualTo("ping" + i % 10);
                }

                byte[] burst = new byte[200_000];
                for (int i = 0; i < burst.length; i++) {
                    burst[i] = (byte) ('a' + i % 26);
                }
                for (int i = 0; i < burst.length; i += 1_000) {
                    out.write(burst, i, 1_000);
                }
                byte[] echoed = new byte[burst.length];
                in.readFully(echoed);
                assertThat(echoed).isEqualTo(burst);

                Channel child = accepted.get(5, TimeUnit.SECONDS);
                child.eventLoop().execute(() -> {
                    ByteBuf note = Unpooled.copiedBuffer("tick!", StandardCharsets.US_ASCII);
                    child.write(note);
                    LoopFlusher.flushSoon(child);
                });
                byte[] tick = new byte[5];
                in.readFully(tick);
                assertThat(new String(tick, StandardCharsets.US_ASCII)).isEqualTo("tick!");
            } finally {
                server.close().sync();
            }
        }
    }
}
