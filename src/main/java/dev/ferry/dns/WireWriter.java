package dev.ferry.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes responses in DNS wire form: header, the question echoed byte for byte, the answer's sections, and an OPT
 * record when the query had one (its DO bit copied, RFC 3225). Names are compressed (RFC 1035 section 4.1.4): owner
 * names, and the names inside CNAME, NS and SOA data, point to an earlier occurrence of their longest known suffix;
 * SRV targets are written whole (RFC 2782). When the response exceeds the size limit, the additional section is
 * dropped first, without the TC bit (RFC 2181 section 9); when it still does not fit, a header and question with the
 * TC bit set and no records (but the OPT) are sent, so the client retries over TCP.
 *
 * <p>Threading: stateless; safe from any thread.
 */
final class WireWriter {
    private static final int HEADER = 12;
    private static final int QR = 0x8000;
    private static final int AA = 0x0400;
    private static final int TC = 0x0200;
    private static final int RD = 0x0100;
    private static final int CD = 0x0010;
    private static final int TYPE_NS = 2;
    private static final int TYPE_CNAME = 5;
    private static final int TYPE_SOA = 6;
    private static final int TYPE_OPT = 41;
    private static final int CLASS_IN = 1;
    private static final int MAX_POINTER = 0x3fff;

    /**
     * Writes a full response.
     *
     * @param question   the question to echo, or null for none
     * @param opt        the query's OPT record, or null: when given, the response carries an OPT record stating
     *                   {@code optPayload} and the query's DO bit
     * @param sizeLimit  the most bytes the response may take (512 without EDNS over UDP, 65535 over TCP)
     * @return the response; {@link Written#truncated()} tells whether the TC form was sent
     */
    Written write(ByteBufAllocator alloc, int id, int queryFlags, QueryParser.Question question, Answer answer,
                  QueryParser.Opt opt, int optPayload, int sizeLimit) {
        ByteBuf out = alloc.buffer(512);
        try {
            encode(out, id, queryFlags, question, answer, answer.additional(), opt, optPayload, false);
            if (out.readableBytes() <= sizeLimit) {
                return new Written(out, false);
            }
            if (!answer.additional().isEmpty()) {
                out.clear();
                encode(out, id, queryFlags, question, answer, List.of(), opt, optPayload, false);
                if (out.readableBytes() <= sizeLimit) {
                    return new Written(out, false);
                }
            }
            out.clear();
            Answer empty = new Answer(answer.rcode(), answer.authoritative(), answer.zone(), List.of(), List.of(),
                    List.of());
            encode(out, id, queryFlags, question, empty, List.of(), opt, optPayload, true);
            return new Written(out, true);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
    }

    /** The bytes written and whether they are the truncated form. */
    record Written(ByteBuf bytes, boolean truncated) {
    }

    private static void encode(ByteBuf out, int id, int queryFlags, QueryParser.Question question, Answer answer,
                               List<ResourceRecord> additional, QueryParser.Opt opt, int optPayload,
                               boolean truncated) {
        int base = out.writerIndex();
        int rcode = answer.rcode();
        header(out, id, queryFlags, answer.authoritative(), truncated, rcode, question == null ? 0 : 1,
                answer.answers().size(), answer.authority().size(), additional.size() + (opt != null ? 1 : 0));
        Map<String, Integer> names = new HashMap<>();
        if (question != null) {
            name(out, base, names, question.name());
            out.writeShort(question.type());
            out.writeShort(question.dnsClass());
        }
        records(out, base, names, answer.answers());
        records(out, base, names, answer.authority());
        records(out, base, names, additional);
        if (opt != null) {
            out.writeByte(0);
            out.writeShort(TYPE_OPT);
            out.writeShort(optPayload);
            out.writeInt((rcode >> 4 & 0xff) << 24 | (opt.dnssecOk() ? 0x8000 : 0));
            out.writeShort(0);
        }
    }

    private static void records(ByteBuf out, int base, Map<String, Integer> names, List<ResourceRecord> records) {
        for (ResourceRecord r : records) {
            name(out, base, names, r.name());
            int type = r.type().intValue();
            out.writeShort(type);
            out.writeShort(CLASS_IN);
            out.writeInt((int) r.ttl());
            int lengthAt = out.writerIndex();
            out.writeShort(0);
            byte[] rdata = r.rdata();
            switch (type) {
                case TYPE_CNAME, TYPE_NS -> name(out, base, names, readName(rdata, new int[]{0}));
                case TYPE_SOA -> {
                    int[] at = {0};
                    name(out, base, names, readName(rdata, at));
                    name(out, base, names, readName(rdata, at));
                    out.writeBytes(rdata, at[0], rdata.length - at[0]);
                }
                default -> out.writeBytes(rdata);
            }
            out.setShort(lengthAt, out.writerIndex() - lengthAt - 2);
        }
    }

    /** Writes {@code name}, pointing to an earlier occurrence of its longest known suffix. */
    private static void name(ByteBuf out, int base, Map<String, Integer> names, String name) {
        int[] starts = DnsNames.labelStarts(name);
        List<byte[]> labels = DnsNames.labels(name);
        for (int i = 0; i < labels.size(); i++) {
            String suffix = name.substring(starts[i]);
            Integer earlier = names.get(suffix);
            if (earlier != null) {
                out.writeShort(0xc000 | earlier);
                return;
            }
            int offset = out.writerIndex() - base;
            if (offset <= MAX_POINTER) {
                names.putIfAbsent(suffix, offset);
            }
            out.writeByte(labels.get(i).length);
            out.writeBytes(labels.get(i));
        }
        out.writeByte(0);
    }

    /** Reads an uncompressed name written by {@link Rdata} at {@code at[0]}, moving past it. */
    private static String readName(byte[] data, int[] at) {
        ByteBuf in = Unpooled.wrappedBuffer(data);
        StringBuilder name = new StringBuilder();
        while (at[0] < data.length && data[at[0]] != 0) {
            int length = data[at[0]] & 0xff;
            if (!name.isEmpty()) {
                name.append('.');
            }
            DnsNames.appendLabel(name, in, at[0] + 1, length);
            at[0] += 1 + length;
        }
        at[0]++;
        return name.toString();
    }

    private static void header(ByteBuf out, int id, int queryFlags, boolean authoritative, boolean truncated,
                               int rcode, int questions, int answers, int authority, int additional) {
        // The opcode, RD and CD are echoed from the query (RFC 1035 section 4.1.1, RFC 6840 section 5.9); Ferry
        // offers no recursion (RA 0).
        int flags = QR | (queryFlags & 0x7800) | (queryFlags & RD) | (queryFlags & CD) | (rcode & 0xf);
        if (authoritative) {
            flags |= AA;
        }
        if (truncated) {
            flags |= TC;
        }
        out.writeShort(id);
        out.writeShort(flags);
        out.writeShort(questions);
        out.writeShort(answers);
        out.writeShort(authority);
        out.writeShort(additional);
    }
}
