package dev.ferry.health;

import io.netty.buffer.ByteBuf;

/**
 * Decides a layer-4 check ({@link RequestReplyProbe}) from what the server sent back. Implementations are stateless
 * or confined to one check; they only read {@code reply} (from its reader index, without moving it).
 */
interface ReplyJudge {
    /** The verdict on the reply so far, or null while more bytes are needed. */
    ProbeResult judge(ByteBuf reply);

    /** The server closed after sending {@code reply}, for which {@link #judge} returned null. */
    ProbeResult closed(ByteBuf reply);

    /** What a reply ending too early says, for {@link #closed}. */
    static ProbeResult closedEarly(ByteBuf reply, String wanted) {
        return ProbeResult.fail(reply.isReadable()
                ? "server closed the connection after " + reply.readableBytes() + " bytes, before " + wanted
                : "server closed the connection without " + wanted);
    }

    /** Up to {@code max} bytes at {@code from} as printable text, for a log line. */
    static String printable(ByteBuf reply, int from, int length, int max) {
        StringBuilder s = new StringBuilder();
        int n = Math.min(length, max);
        for (int i = 0; i < n; i++) {
            int b = reply.getByte(from + i) & 0xff;
            s.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return length > max ? s + "..." : s.toString();
    }
}
