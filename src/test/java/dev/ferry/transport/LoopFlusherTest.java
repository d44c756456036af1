package dev.ferry.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The flusher on an event loop Ferry did not create (so driven by its queued task, not by {@link FlushWhenDrained}):
 * a pair of in-memory channels, both on one loop thread as a client connection and
 * its server connection are in Ferry. A "batch" is a task run on the loop; what it leaves unsent is looked at from
 * inside it, what arrives at the other end after it.
 */
class LoopFlusherTest {
    private static EventLoopGroup loop;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private Channel server;
    private Channel client;

    @BeforeAll
    static void startLoop() {
        loop = new DefaultEventLoopGroup(1);
    }

    @AfterAll
    static void stopLoop() {
        loop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void connect() throws InterruptedException {
        LocalAddress address = new LocalAddress("loop-flusher-" + UUID.randomUUID());
        server = new ServerBootstrap().group(loop).channel(LocalServerChannel.class)
                .childHandler(new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                        received.add(msg.toString(StandardCharsets.US_ASCII));
                    }
                })
                .bind(address).sync().channel();
        client = new Bootstrap().group(loop).channel(LocalChannel.class).handler(new ChannelInboundHandlerAdapter())
                .connect(address).sync().channel();
    }

    @AfterEach
    void close() {
        client.close().syncUninterruptibly();
        server.close().syncUninterruptibly();
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** Runs {@code batch} on the loop; returns what the client still had queued when it ended (bytes and overhead). */
    private long inOneBatch(Runnable batch) throws Exception {
        return client.eventLoop().submit(() -> {
            batch.run();
            return client.unsafe().outboundBuffer() == null ? 0 : client.unsafe().outboundBuffer().totalPendingWriteBytes();
        }).get();
    }

    /** The bytes that arrived, in order (the in-memory channel may hand several writes over in one read). */
    private void awaitReceived(String... expected) {
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(String.join("", received)).isEqualTo(String.join("", expected)));
    }

    @Test
    void writesFlushedSoonLeaveWhenTheBatchIsOverInTheOrderWritten() throws Exception {
        long unsentAtBatchEnd = inOneBatch(() -> {
            client.write(text("one "));
            LoopFlusher.flushSoon(client);
            client.write(text("two "));
            LoopFlusher.flushSoon(client);
        });
        assertThat(unsentAtBatchEnd).isPositive();
        awaitReceived("one ", "two ");
    }

    @Test
    void aFlushAskedForWhileFlushingIsDoneInTheNextRun() throws Exception {
        inOneBatch(() -> {
            client.write(text("first")).addListener(f -> {
                client.write(text("second"));
                LoopFlusher.flushSoon(client);
            });
            LoopFlusher.flushSoon(client);
        });
        awaitReceived("first", "second");
    }

    @Test
    void batchAfterBatchNothingIsLeftBehind() throws Exception {
        String[] expected = new String[300];
        for (int round = 0; round < 3; round++) {
            int r = round;
            inOneBatch(() -> {
                for (int i = 0; i < 100; i++) {
                    client.write(text(r + ":" + i));
                    LoopFlusher.flushSoon(client);
                }
            });
            for (int i = 0; i < 100; i++) {
                expected[r * 100 + i] = r + ":" + i;
            }
        }
        awaitReceived(expected);
    }

    @Test
    void aChannelClosedBeforeItsBatchEndsReleasesWhatItHadNotSent() throws Exception {
        ByteBuf unsent = text("never sent");
        inOneBatch(() -> {
            client.write(unsent);
            LoopFlusher.flushSoon(client);
            client.close();
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> unsent.refCnt() == 0);
        assertThat(received).isEmpty();
    }
}
