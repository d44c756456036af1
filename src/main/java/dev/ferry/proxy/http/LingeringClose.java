package dev.ferry.proxy.http;

import dev.ferry.config.LingeringOptions;
import dev.ferry.proxy.FrontendStats;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The end of a client connection that may still be sending, as nginx's {@code lingering_close}: closing a socket with
 * unread bytes makes the kernel send a reset, and a reset destroys whatever of the response the client has not read
 * yet (an early 401 to an 8 MiB upload arrived as 100 KB). So the client's bytes are read and dropped from now on; the
 * last bytes of the response are written; once all of it has gone out, Ferry's side is shut (TLS: close_notify, then
 * a FIN); and the connection closes when the client closes it, when nothing arrived for {@code lingering_timeout},
 * when {@code lingering_time} has passed since the FIN, or when more than {@code lingering_bytes} were dropped (counted
 * from the start), whichever comes first ({@link LingeringStats.Ended}).
 *
 * <p>Placed first in the pipeline, it takes the raw bytes before TLS and the request decoder see them: each buffer is
 * released at once, nothing is kept. Reads run with autoRead. Time comes from the given clock (nanoseconds).
 *
 * <p>Threading: created and run on the channel's event loop; no field is touched from anywhere else.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(LingeringClose.class);

    private final Channel client;
    private final LingeringOptions options;
    private final LingeringStats stats;
    private final FrontendStats frontendStats;
    private final LongSupplier clock;
    private long dropped;
    /** When Ferry's FIN went out (0: the response is still being written). */
    private long finAt;
    private long lastRead;
    private Future<?> timer;
    private boolean ended;

    private LingeringClose(Channel client, LingeringOptions options, LingeringStats stats, FrontendStats frontendStats,
                           LongSupplier clock) {
        this.client = client;
        this.options = options;
        this.stats = stats;
        this.frontendStats = frontendStats;
        this.clock = clock;
    }

    /**
     * Starts the lingering close of {@code client}: {@code last} (owned from here on; may be empty) is written behind
     * what is already queued, and the rest follows as the class says. Call on the channel's event loop, once.
     */
    static void begin(Channel client, ByteBuf last, LingeringOptions options, LingeringStats stats,
                      FrontendStats frontendStats, LongSupplier clock) {
        LingeringClose linger = new LingeringClose(client, options, stats, frontendStats, clock);
        client.pipeline().addFirst("linger", linger);
        client.writeAndFlush(last).addListener(f -> {
            if (f.isSuccess()) {
                linger.responseWritten();
            } else {
                linger.end(LingeringStats.Ended.CLIENT_CLOSED);
            }
        });
        client.config().setAutoRead(true);
    }

    /** Every byte of the response is with the kernel: TLS says close_notify, then the FIN goes out. */
    private void responseWritten() {
        if (ended) {
            return;
        }
        SslHandler tls = client.pipeline().get(SslHandler.class);
        if (tls != null) {
            tls.closeOutbound().addListener(f -> {
                if (f.isSuccess()) {
                    shutdownOutput();
                } else {
                    end(LingeringStats.Ended.CLIENT_CLOSED);
                }
            });
        } else {
            shutdownOutput();
        }
    }

    private void shutdownOutput() {
        if (ended) {
            return;
        }
        if (!(client instanceof DuplexChannel duplex)) {
            end(LingeringStats.Ended.CLIENT_CLOSED);
            return;
        }
        ChannelFuture shut = duplex.shutdownOutput();
        shut.addListener(f -> {
            if (!f.isSuccess()) {
                end(LingeringStats.Ended.CLIENT_CLOSED);
                return;
            }
            if (ended) {
                return;
            }
            finAt = clock.getAsLong();
            lastRead = finAt;
            check();
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        int bytes = msg instanceof ByteBuf b ? b.readableBytes() : 0;
        ReferenceCountUtil.release(msg);
        if (ended) {
            return;
        }
        frontendStats.addBytesFromClient(bytes);
        dropped += bytes;
        lastRead = clock.getAsLong();
        if (dropped > options.maxBytes()) {
            log.debug("lingering close of {}: more than {} bytes dropped; closing", client.remoteAddress(),
                    options.maxBytes());
            end(LingeringStats.Ended.BYTE_CAP);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Nothing for the handlers behind: they are done with this connection.
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset or another socket error while dropping: the client is gone.
        log.debug("lingering close of {}: {}", client.remoteAddress(), cause.toString());
        end(LingeringStats.Ended.CLIENT_CLOSED);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        end(LingeringStats.Ended.CLIENT_CLOSED);
        ctx.fireChannelInactive();
    }

    /** Once the FIN is out: ends the lingering at {@code lingering_timeout} or {@code lingering_time}, else rearms. */
    private void check() {
        timer = null;
        if (ended) {
            return;
        }
        long now = clock.getAsLong();
        long quietUntil = lastRead + options.timeout().toNanos();
        long capAt = finAt + options.time().toNanos();
        if (now - capAt >= 0) {
            end(LingeringStats.Ended.TIME_CAP);
            return;
        }
        if (now - quietUntil >= 0) {
            end(LingeringStats.Ended.TIMEOUT);
            return;
        }
        long next = quietUntil - capAt < 0 ? quietUntil : capAt;
        timer = client.eventLoop().schedule(this::check, Math.max(0, next - now), TimeUnit.NANOSECONDS);
    }

    /** Counts how the lingering ended (once) and closes the connection. */
    private void end(LingeringStats.Ended how) {
        if (ended) {
            return;
        }
        ended = true;
        stats.ended(how);
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        client.close();
    }
}
