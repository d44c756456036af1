package dev.ferry.health;

import dev.ferry.config.CheckBytes;
import io.netty.buffer.ByteBuf;

/** {@code type: tcp} with {@code expect}/{@code expect_binary}: passes once the reply contains the expected bytes. */
final class ExpectedBytes implements ReplyJudge {
    private final CheckBytes expected;
    private final byte[] bytes;

    ExpectedBytes(CheckBytes expected) {
        this.expected = expected;
        this.bytes = expected.bytes();
    }

    @Override
    public ProbeResult judge(ByteBuf reply) {
        return indexIn(reply) >= 0 ? ProbeResult.pass("reply contains " + expected) : null;
    }

    @Override
    public ProbeResult closed(ByteBuf reply) {
        if (!reply.isReadable()) {
            return ProbeResult.fail("server closed the connection without a reply (expected " + expected + ")");
        }
        return ProbeResult.fail("server closed the connection; its reply '"
                + ReplyJudge.printable(reply, reply.readerIndex(), reply.readableBytes(), 60)
                + "' does not contain " + expected);
    }

    /** Where the expected bytes start in {@code reply}, or -1. */
    int indexIn(ByteBuf reply) {
        int start = reply.readerIndex();
        int last = reply.writerIndex() - bytes.length;
        outer:
        for (int i = start; i <= last; i++) {
            for (int j = 0; j < bytes.length; j++) {
                if (reply.getByte(i + j) != bytes[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
