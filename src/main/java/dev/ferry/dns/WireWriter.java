package dev.ferry.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.dns.AbstractDnsOptPseudoRrRecord;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRecordEncoder;
import io.netty.handler.codec.dns.DnsRecordType;

import java.util.List;

/**
 * Writes responses in DNS wire form with Netty's record encoder: header, the question echoed, then the answer's
 * sections, and an OPT record when the query had one. When the result exceeds the size limit it is replaced by a
 * header and question with the TC bit set and no records (but the OPT), so the client retries over TCP.
 *
 * <p>Threading: stateless; safe from any thread.
 */
final class WireWriter {
    private static final int HEADER = 12;
    private static final int QR = 0x8000;
    private static final int AA = 0x0400;
    private static final int TC = 0x0200;
    private static final int RD = 0x0100;

    /** An OPT pseudo-record (RFC 6891) stating Ferry's own payload size. */
    private static final class Opt extends AbstractDnsOptPseudoRrRecord {
        Opt(int payloadSize, int extendedRcode) {
            super(payloadSize, extendedRcode, 0);
        }
    }

    /** The question as it was asked, to echo. */
    record Question(String name, DnsRecordType type, int dnsClass) {
    }

    /**
     * Writes a full response.
     *
     * @param opt       when non-negative, add an OPT record advertising this payload size
     * @param sizeLimit the most bytes the response may take (512 without EDNS over UDP, 65535 over TCP)
     * @return the response; {@link Written#truncated()} tells whether the TC form was sent
     */
    Written write(ByteBufAllocator alloc, int id, int queryFlags, Question question, Answer answer, int opt,
                  int sizeLimit) throws Exception {
        ByteBuf out = alloc.buffer(512);
        try {
            int rcode = answer.rcode();
            header(out, id, queryFlags, answer.authoritative(), false, rcode, 1, answer.answers().size(),
                    answer.authority().size(), answer.additional().size() + (opt >= 0 ? 1 : 0));
            DnsRecordEncoder.DEFAULT.encodeQuestion(question(question), out);
            records(out, answer.answers());
            records(out, answer.authority());
            records(out, answer.additional());
            if (opt >= 0) {
                DnsRecordEncoder.DEFAULT.encodeRecord(new Opt(opt, rcode >> 4), out);
            }
            if (out.readableBytes() <= sizeLimit) {
                return new Written(out, false);
            }
            out.clear();
            header(out, id, queryFlags, answer.authoritative(), true, rcode, 1, 0, 0, opt >= 0 ? 1 : 0);
            DnsRecordEncoder.DEFAULT.encodeQuestion(question(question), out);
            if (opt >= 0) {
                DnsRecordEncoder.DEFAULT.encodeRecord(new Opt(opt, rcode >> 4), out);
            }
            return new Written(out, true);
        } catch (Exception | Error e) {
            out.release();
            throw e;
        }
    }

    /** A bare error response: the header only, as for a query too broken to echo its question. */
    ByteBuf error(ByteBufAllocator alloc, int id, int queryFlags, int rcode) {
        ByteBuf out = alloc.buffer(HEADER);
        header(out, id, queryFlags, false, false, rcode, 0, 0, 0, 0);
        return out;
    }

    /** The bytes written and whether they are the truncated form. */
    record Written(ByteBuf bytes, boolean truncated) {
    }

    private static DefaultDnsQuestion question(Question q) {
        return new DefaultDnsQuestion(q.name(), q.type(), q.dnsClass());
    }

    private static void records(ByteBuf out, List<ResourceRecord> records) throws Exception {
        for (ResourceRecord r : records) {
            DnsRecordEncoder.DEFAULT.encodeRecord(r.toNetty(), out);
        }
    }

    private static void header(ByteBuf out, int id, int queryFlags, boolean authoritative, boolean truncated,
                               int rcode, int questions, int answers, int authority, int additional) {
        // The opcode and RD are echoed from the query (RFC 1035 section 4.1.1); Ferry offers no recursion (RA 0).
        int flags = QR | (queryFlags & 0x7800) | (queryFlags & RD) | (rcode & 0xf);
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
