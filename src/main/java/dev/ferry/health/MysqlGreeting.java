package dev.ferry.health;

import io.netty.buffer.ByteBuf;

/**
 * {@code type: mysql}: reads the server's first packet (MySQL and MariaDB greet every client before it sends
 * anything) and passes when it is an initial handshake of protocol version 10, naming the server's version. An error
 * packet (0xFF: too many connections, host blocked, host not allowed) fails with the server's message.
 *
 * <p>A packet is a 3-byte little-endian payload length, a sequence byte, then the payload; the handshake's payload
 * starts with the protocol version and the NUL-ended server version text.
 */
final class MysqlGreeting implements ReplyJudge {
    private static final int PROTOCOL_10 = 10;
    private static final int ERROR = 0xff;

    @Override
    public ProbeResult judge(ByteBuf reply) {
        int at = reply.readerIndex();
        if (reply.readableBytes() < 5) {
            return null;
        }
        int length = reply.getUnsignedMediumLE(at);
        int payload = at + 4;
        int first = reply.getUnsignedByte(payload);
        if (first != PROTOCOL_10 && first != ERROR) {
            return ProbeResult.fail("not a MySQL greeting (protocol 10): '"
                    + ReplyJudge.printable(reply, at, reply.readableBytes(), 40) + "'");
        }
        if (length < 1 || length > RequestReplyProbe.MAX_REPLY - 4) {
            return ProbeResult.fail("not a MySQL greeting (a packet of " + length + " bytes)");
        }
        int end = payload + length;
        if (reply.writerIndex() < end) {
            return null;
        }
        if (first == ERROR) {
            return error(reply, payload, end);
        }
        int nul = payload + 1;
        while (nul < end && reply.getByte(nul) != 0) {
            nul++;
        }
        return ProbeResult.pass("mysql " + ReplyJudge.printable(reply, payload + 1, nul - payload - 1, 60));
    }

    /** An error packet: 0xFF, a 2-byte code, in protocol 4.1 '#' and a 5-character SQL state, then the message. */
    private static ProbeResult error(ByteBuf reply, int payload, int end) {
        if (end - payload < 3) {
            return ProbeResult.fail("mysql refused (a short error packet)");
        }
        int code = reply.getUnsignedShortLE(payload + 1);
        int message = payload + 3;
        if (message < end && reply.getByte(message) == '#' && end - message >= 6) {
            message += 6;
        }
        return ProbeResult.fail("mysql refused: " + code + " "
                + ReplyJudge.printable(reply, message, end - message, 200));
    }

    @Override
    public ProbeResult closed(ByteBuf reply) {
        return ReplyJudge.closedEarly(reply, "a complete greeting");
    }
}
