package dev.ferry.health;

import io.netty.buffer.ByteBuf;

/**
 * {@code type: pgsql}: sends PostgreSQL's SSLRequest (length 8, code 80877103), which every server since 7.0 answers
 * with one byte before any authentication: {@code S} (it would speak TLS) or {@code N} (it would not). Either passes;
 * an error response ({@code E}) fails with the server's message; anything else is not PostgreSQL. No credentials
 * are needed, and no session is started.
 */
final class PgsqlSslReply implements ReplyJudge {
    static final byte[] SSL_REQUEST = {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f};

    @Override
    public ProbeResult judge(ByteBuf reply) {
        int at = reply.readerIndex();
        byte first = reply.getByte(at);
        return switch (first) {
            case 'S' -> ProbeResult.pass("pgsql answered the SSL request (S)");
            case 'N' -> ProbeResult.pass("pgsql answered the SSL request (N)");
            case 'E' -> error(reply, at);
            default -> ProbeResult.fail("not a PostgreSQL answer: '"
                    + ReplyJudge.printable(reply, at, reply.readableBytes(), 40) + "'");
        };
    }

    /** An ErrorResponse: 'E', int32 length, then fields (a type byte and a NUL-ended text); 'M' is the message. */
    private static ProbeResult error(ByteBuf reply, int at) {
        if (reply.readableBytes() < 5) {
            return null;
        }
        int length = reply.getInt(at + 1);
        if (length < 4 || length > RequestReplyProbe.MAX_REPLY) {
            return ProbeResult.fail("pgsql sent an error response of impossible length " + length);
        }
        int end = at + 1 + length;
        if (reply.writerIndex() < end) {
            return null;
        }
        for (int i = at + 5; i < end && reply.getByte(i) != 0; ) {
            byte field = reply.getByte(i);
            int text = i + 1;
            int nul = text;
            while (nul < end && reply.getByte(nul) != 0) {
                nul++;
            }
            if (field == 'M') {
                return ProbeResult.fail("pgsql refused: " + ReplyJudge.printable(reply, text, nul - text, 200));
            }
            i = nul + 1;
        }
        return ProbeResult.fail("pgsql refused (an error response without a message)");
    }

    @Override
    public ProbeResult closed(ByteBuf reply) {
        return reply.isReadable() ? ProbeResult.fail("pgsql closed the connection in the middle of an error response")
                : ReplyJudge.closedEarly(reply, "answering the SSL request");
    }
}
