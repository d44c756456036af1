package dev.ferry.health;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * {@code type: redis}: sends PING (as a RESP array) and passes when the first reply line is {@code +PONG}, as
 * HAProxy's {@code option redis-check}. Anything else fails with the server's line ({@code -LOADING ...} while a
 * server loads its data, {@code -NOAUTH ...} when it wants a password).
 */
final class RedisPong implements ReplyJudge {
    static final byte[] PING = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String PONG = "+PONG";

    @Override
    public ProbeResult judge(ByteBuf reply) {
        int start = reply.readerIndex();
        for (int i = start; i + 1 < reply.writerIndex(); i++) {
            if (reply.getByte(i) == '\r' && reply.getByte(i + 1) == '\n') {
                String line = ReplyJudge.printable(reply, start, i - start, 120);
                return line.equals(PONG) ? ProbeResult.pass("PONG") : ProbeResult.fail("redis answered " + line);
            }
        }
        return null;
    }

    @Override
    public ProbeResult closed(ByteBuf reply) {
        return ReplyJudge.closedEarly(reply, "answering PING");
    }
}
