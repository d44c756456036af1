package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes body parts to a channel in the framing of the message going out: as they are (a length-delimited or
 * close-delimited body), or as chunks (RFC 9112 7.1) with the trailer fields of the last part. Takes ownership of
 * each part.
 *
 * <p>Threading: stateless; called on the channel's event loop.
 */
final class BodyWriter {
    private static final ByteBuf CRLF = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(2).writeByte('\r').writeByte('\n')).asReadOnly();
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).asReadOnly();

    private BodyWriter() {
    }

    /** Writes {@code part} (not flushed); returns the bytes written, framing included. */
    static int write(Channel ch, HttpContent part, boolean chunked) {
        return write(ch, part, chunked, ch.voidPromise());
    }

    /**
     * Writes {@code part} (not flushed); {@code dataWritten} completes once its bytes are written (at once when it
     * has none). Returns the bytes written, framing included.
     */
    static int write(Channel ch, HttpContent part, boolean chunked, ChannelPromise dataWritten) {
        ByteBuf data = part.content();
        boolean last = part instanceof LastHttpContent;
        if (!chunked) {
            int n = data.readableBytes();
            if (n > 0) {
                ch.write(data, dataWritten);
            } else {
                data.release();
                succeed(dataWritten);
            }
            return n;
        }
        int n = data.readableBytes();
        int written = 0;
        if (n > 0) {
            ByteBuf size = ch.alloc().buffer(10);
            ByteBufUtil.writeAscii(size, Integer.toHexString(n));
            size.writeShort(0x0d0a);
            written += size.readableBytes() + n + 2;
            ch.write(size, ch.voidPromise());
            ch.write(data, dataWritten);
            ch.write(CRLF.duplicate(), ch.voidPromise());
        } else {
            data.release();
            succeed(dataWritten);
        }
        if (last) {
            HttpHeaders trailers = ((LastHttpContent) part).trailingHeaders();
            if (trailers.isEmpty()) {
                written += LAST_CHUNK.readableBytes();
                ch.write(LAST_CHUNK.duplicate(), ch.voidPromise());
            } else {
                ByteBuf end = ch.alloc().buffer(64);
                end.writeBytes("0\r\n".getBytes(StandardCharsets.US_ASCII));
                for (Map.Entry<String, String> field : trailers) {
                    end.writeCharSequence(field.getKey(), StandardCharsets.ISO_8859_1);
                    end.writeShort(':' << 8 | ' ');
                    end.writeCharSequence(field.getValue(), StandardCharsets.ISO_8859_1);
                    end.writeShort(0x0d0a);
                }
                end.writeShort(0x0d0a);
                written += end.readableBytes();
                ch.write(end, ch.voidPromise());
            }
        }
        return written;
    }

    private static void succeed(ChannelPromise promise) {
        if (!promise.isVoid()) {
            promise.trySuccess();
        }
    }
}
