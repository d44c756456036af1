package dev.ferry.dns;

import io.netty.buffer.ByteBuf;

/**
 * Parses one DNS message (RFC 1035 section 4.1) for UDP and TCP alike (TCP frames come without their length
 * prefix), on the wire bytes themselves: names stay sequences of labels (a {@code .} byte inside a label stays in
 * that label, bytes outside ASCII stay bytes; see {@link DnsNames}), and every section the header announces is read,
 * so a message is malformed when a count runs beyond the data, a name is longer than 255 octets, a label uses an
 * extended label type, a compression pointer does not point backwards, or the additional section holds more than one
 * OPT record or an OPT record not owned by the root (RFC 6891 section 6.1.1). Bytes after the last record are
 * ignored.
 *
 * <p>Threading: stateless; safe from any thread.
 */
final class QueryParser {
    private static final int HEADER = 12;
    private static final int TYPE_OPT = 41;
    private static final int MAX_POINTERS = 64;

    /** The question of a query: its name in {@link DnsNames}' form, type and class. */
    record Question(String name, int type, int dnsClass) {
    }

    /** The OPT record of a query: the payload size the client takes, the EDNS version and the DO bit. */
    record Opt(int payloadSize, int version, boolean dnssecOk) {
    }

    /**
     * A parsed query.
     *
     * @param question  the question, when exactly one was asked and it parsed; else null
     * @param opt       the (first) OPT record when one parsed; else null
     * @param malformed what is wrong with the message, or null when it is well formed
     */
    record Query(int id, int flags, int opcode, int questions, Question question, Opt opt, String malformed) {
    }

    private static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** The query in {@code message} (at least a header long); {@code message} is not consumed nor released. */
    Query parse(ByteBuf message) {
        int base = message.readerIndex();
        int end = message.writerIndex();
        int id = message.getUnsignedShort(base);
        int flags = message.getUnsignedShort(base + 2);
        int opcode = flags >> 11 & 0xf;
        int qd = message.getUnsignedShort(base + 4);
        int an = message.getUnsignedShort(base + 6);
        int ns = message.getUnsignedShort(base + 8);
        int ar = message.getUnsignedShort(base + 10);
        Question question = null;
        Opt opt = null;
        int[] at = {base + HEADER};
        try {
            for (int i = 0; i < qd; i++) {
                String name = name(message, base, end, at);
                need(at[0] + 4, end);
                Question q = new Question(name, message.getUnsignedShort(at[0]), message.getUnsignedShort(at[0] + 2));
                at[0] += 4;
                if (qd == 1) {
                    question = q;
                }
            }
            for (int i = 0; i < an + ns + ar; i++) {
                String owner = name(message, base, end, at);
                need(at[0] + 10, end);
                int type = message.getUnsignedShort(at[0]);
                int dnsClass = message.getUnsignedShort(at[0] + 2);
                long ttl = message.getUnsignedInt(at[0] + 4);
                int length = message.getUnsignedShort(at[0] + 8);
                at[0] += 10;
                need(at[0] + length, end);
                if (type == TYPE_OPT) {
                    if (i < an + ns) {
                        throw new Malformed("an OPT record outside the additional section");
                    }
                    if (!owner.isEmpty()) {
                        throw new Malformed("an OPT record owned by " + owner + " rather than the root");
                    }
                    if (opt != null) {
                        throw new Malformed("two OPT records");
                    }
                    options(message, at[0], at[0] + length);
                    opt = new Opt(dnsClass, (int) (ttl >> 16 & 0xff), (ttl & 0x8000) != 0);
                }
                at[0] += length;
            }
            return new Query(id, flags, opcode, qd, question, opt, null);
        } catch (Malformed e) {
            return new Query(id, flags, opcode, qd, question, opt, e.getMessage());
        }
    }

    /** Reads the name at {@code at[0]} (following backward pointers), moving {@code at[0]} past it. */
    private static String name(ByteBuf in, int base, int end, int[] at) throws Malformed {
        StringBuilder name = new StringBuilder();
        int position = at[0];
        int wireLength = 1;
        int pointers = 0;
        boolean jumped = false;
        while (true) {
            need(position + 1, end);
            int length = in.getUnsignedByte(position);
            if (length == 0) {
                if (!jumped) {
                    at[0] = position + 1;
                }
                return name.toString();
            }
            int kind = length & 0xc0;
            if (kind == 0xc0) {
                need(position + 2, end);
                int target = base + (in.getUnsignedShort(position) & 0x3fff);
                if (target >= position || ++pointers > MAX_POINTERS) {
                    throw new Malformed("a compression pointer that does not point backwards");
                }
                if (!jumped) {
                    at[0] = position + 2;
                    jumped = true;
                }
                position = target;
                continue;
            }
            if (kind != 0) {
                throw new Malformed("an extended label type");
            }
            wireLength += length + 1;
            if (wireLength > DnsNames.MAX_WIRE_LENGTH) {
                throw new Malformed("a name longer than 255 octets");
            }
            need(position + 1 + length, end);
            if (!name.isEmpty()) {
                name.append('.');
            }
            DnsNames.appendLabel(name, in, position + 1, length);
            position += 1 + length;
        }
    }

    /** Checks that the EDNS options fill the OPT record's data exactly (RFC 6891 section 6.1.2). */
    private static void options(ByteBuf in, int from, int to) throws Malformed {
        int at = from;
        while (at < to) {
            if (at + 4 > to || at + 4 + in.getUnsignedShort(at + 2) > to) {
                throw new Malformed("an EDNS option longer than its OPT record");
            }
            at += 4 + in.getUnsignedShort(at + 2);
        }
    }

    private static void need(int position, int end) throws Malformed {
        if (position > end) {
            throw new Malformed("the header's counts run beyond the message");
        }
    }
}
