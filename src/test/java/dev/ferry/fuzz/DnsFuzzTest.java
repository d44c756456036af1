package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.dns.DnsFuzzHarness;
import dev.ferry.dns.DnsFuzzHarness.TcpOutcome;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the DNS responder's parse and answer path ({@code QueryParser}, {@code Responder}, {@code Zone},
 * {@code WireWriter}) over UDP and TCP, and the TCP connection's 2-byte length framing ({@code TcpQueries}), against
 * the zone of {@link DnsFuzzHarness#CONFIG}. The first input byte picks where TCP bytes are split into two reads; the
 * rest is one DNS message. Invariants:
 * <ul>
 *   <li>nothing is sent only for a message shorter than a header or a response (QR set); every answer is a
 *       well-formed message, read by an independent parser here (every count, name, pointer and record length
 *       checked, no byte left over) and by Netty's DNS decoder, within the size limit (512 bytes, the client's EDNS
 *       size up to 1232 over UDP; 65535 over TCP), with the query's id, opcode and RD echoed, the question echoed
 *       when one parsed, and an OPT record exactly when the query had one;</li>
 *   <li>the RCODE is the one an independent reading of the query calls for: FORMERR for a malformed message or not
 *       exactly one question, NOTIMP for another opcode, BADVERS for EDNS above version 0, REFUSED outside the zones
 *       or for another class or a zone transfer, else NXDOMAIN exactly when the name does not exist, NOERROR when it
 *       does;</li>
 *   <li>over TCP, the message sent twice in one stream, split into two reads anywhere, is answered twice, framed, in
 *       order, as the responder answers them one by one; the raw input read as a TCP stream (whatever lengths it
 *       states) is answered frame by frame the same way however it is split, a partial frame waits; the connection
 *       stays open and no exception escapes.</li>
 * </ul>
 */
class DnsFuzzTest {
    static final int NOERROR = 0;
    static final int FORMERR = 1;
    static final int NXDOMAIN = 3;
    static final int NOTIMP = 4;
    static final int REFUSED = 5;
    static final int BADVERS = 16;
    private static final int TYPE_OPT = 41;

    /** Names that exist (lower case, presentation form), by zone; the longest origin holds its names. */
    private static final List<String> ORIGINS = List.of("sub.example.com", "example.com");
    private static final Set<String> EXISTING = Set.of("example.com", "www.example.com", "_http._tcp.www.example.com",
            "_tcp.www.example.com", "none.example.com", "mail.example.com", "text.a.b.example.com", "a.b.example.com",
            "b.example.com", "alias.example.com", "out.example.com", "one._http._tcp.www.example.com",
            "two._http._tcp.www.example.com", "three._http._tcp.www.example.com", "sub.example.com",
            "host.sub.example.com");

    private static final java.util.regex.Pattern PLAIN =
            java.util.regex.Pattern.compile("([A-Za-z0-9_-]{1,63}(\\.[A-Za-z0-9_-]{1,63})*)?");

    @FuzzTest
    void query(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] input = Arrays.copyOfRange(data, 1, Math.min(data.length, 1 + 65_535));
        int splitByte = data[0] & 0xff;
        String what = "input: " + ByteBufUtil.hexDump(input);

        // UDP and TCP answers to the message itself.
        Query query = Query.parse(input);
        byte[] udp = DnsFuzzHarness.answers(List.of(input), false).getFirst();
        check(query, udp, false, what + "\nudp answer: " + hex(udp));
        List<byte[]> tcpAnswers = DnsFuzzHarness.answers(List.of(input, input), true);
        check(query, tcpAnswers.get(0), true, what + "\ntcp answer: " + hex(tcpAnswers.get(0)));
        check(query, tcpAnswers.get(1), true, what + "\nsecond tcp answer: " + hex(tcpAnswers.get(1)));

        // The message twice in one stream, and a partial third frame, split anywhere.
        byte[] stream = concat(frame(input), frame(input), Arrays.copyOf(frame(input), 1 + input.length));
        int split = splitByte * stream.length / 255;
        TcpOutcome twice = DnsFuzzHarness.tcp(stream, split);
        assertThat(twice.open()).as(what).isTrue();
        assertThat(hex(twice.sent())).as(what + "\nsplit at " + split).isEqualTo(hex(frames(tcpAnswers)));

        // The input as a TCP stream of its own: answered frame by frame, however it is split.
        List<byte[]> messages = new ArrayList<>();
        for (int at = 0; at + 2 <= input.length; ) {
            int length = (input[at] & 0xff) << 8 | input[at + 1] & 0xff;
            if (at + 2 + length > input.length) {
                break;
            }
            messages.add(Arrays.copyOfRange(input, at + 2, at + 2 + length));
            at += 2 + length;
        }
        byte[] expected = frames(DnsFuzzHarness.answers(messages, true));
        TcpOutcome whole = DnsFuzzHarness.tcp(input, input.length);
        TcpOutcome parts = DnsFuzzHarness.tcp(input, splitByte * input.length / 255);
        assertThat(whole.open()).as(what).isTrue();
        assertThat(parts.open()).as(what).isTrue();
        assertThat(hex(whole.sent())).as(what + "\nas a stream").isEqualTo(hex(expected));
        assertThat(hex(parts.sent())).as(what + "\nas a stream, split").isEqualTo(hex(expected));
    }

    /** Checks one answer to {@code query}. */
    private static void check(Query query, byte[] answer, boolean tcp, String what) {
        if (query.tooShort || query.response) {
            assertThat(answer).as(what + "\nnothing for a short message or a response").isNull();
            return;
        }
        assertThat(answer).as(what + "\nan answer").isNotNull();
        int limit = tcp ? 65_535 : !query.hasOpt() ? 512 : Math.clamp(query.optPayload, 512, 1232);
        assertThat(answer.length).as(what + "\nwithin the size limit").isLessThanOrEqualTo(limit);
        Message m = Message.parse(answer);
        assertThat(m.malformed).as(what + "\nthe answer re-parses").isNull();
        if (m.questions.stream().allMatch(q -> PLAIN.matcher(q.name()).matches())) {
            // Netty makes names IDNA ASCII, which refuses some label bytes a query may carry: only plain names.
            netty(answer, what);
        }
        assertThat(m.id).as(what).isEqualTo(query.id);
        assertThat(m.flags & 0x8000).as(what + "\nQR").isNotZero();
        assertThat(m.flags >> 11 & 0xf).as(what + "\nopcode echoed").isEqualTo(query.opcode);
        assertThat(m.flags & 0x0100).as(what + "\nRD echoed").isEqualTo(query.flags & 0x0100);
        assertThat(m.flags & 0x0080).as(what + "\nno recursion offered").isZero();
        if (query.question != null) {
            assertThat(m.questions).as(what + "\nthe question echoed").hasSize(1);
            assertThat(m.questions.getFirst()).as(what + "\nthe question echoed").isEqualTo(query.question);
        } else {
            assertThat(m.questions).as(what + "\nno question to echo").isEmpty();
        }
        int rcode = m.rcode();
        int expected = expectedRcode(query);
        assertThat(rcode).as(what + "\nrcode").isEqualTo(expected);
        long opts = m.additional.stream().filter(r -> r.type == TYPE_OPT).count();
        assertThat(opts).as(what + "\nat most one OPT").isLessThanOrEqualTo(1);
        if (query.malformed == null) {
            assertThat(opts).as(what + "\nan OPT exactly when the query had one").isEqualTo(query.hasOpt() ? 1 : 0);
        }
        boolean truncated = (m.flags & 0x0200) != 0;
        assertThat(truncated && tcp).as(what + "\nno TC over TCP").isFalse();
        if (truncated || rcode != NOERROR && rcode != NXDOMAIN) {
            assertThat(m.answers).as(what + "\nno answers").isEmpty();
            assertThat(m.authority).as(what + "\nno authority").isEmpty();
            assertThat(m.additional.size()).as(what + "\nno additional but the OPT").isEqualTo((int) opts);
        } else {
            assertThat(m.flags & 0x0400).as(what + "\nauthoritative").isNotZero();
            if (m.answers.isEmpty()) {
                assertThat(m.authority).as(what + "\nthe SOA of a negative answer").hasSize(1);
                assertThat(m.authority.getFirst().type).as(what + "\nthe SOA of a negative answer").isEqualTo(6);
            } else {
                assertThat(m.answers.getFirst().owner).as(what + "\nthe answer's owner as asked")
                        .isEqualTo(query.question.name());
            }
        }
    }

    private static int expectedRcode(Query q) {
        if (q.malformed != null) {
            return FORMERR;
        }
        if (q.opcode != 0) {
            return NOTIMP;
        }
        if (q.qdCount != 1) {
            return FORMERR;
        }
        if (q.optVersion > 0) {
            return BADVERS;
        }
        String name = q.question.name().toLowerCase(java.util.Locale.ROOT);
        for (String origin : ORIGINS) {
            if (name.equals(origin) || name.endsWith("." + origin)) {
                int type = q.question.type();
                int dnsClass = q.question.dnsClass();
                if (dnsClass != 1 && dnsClass != 255 || type == 252 || type == 251) {
                    return REFUSED;
                }
                return EXISTING.contains(name) ? NOERROR : NXDOMAIN;
            }
        }
        return REFUSED;
    }

    /** Netty's own reading of the answer (a second, independent parser): it must read it whole. */
    private static void netty(byte[] answer, String what) {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        try {
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", 53);
            ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(answer), a, a));
            ch.checkException();
            DnsResponse r = ch.readInbound();
            assertThat(r).as(what + "\nNetty decodes the answer").isNotNull();
            try {
                Message m = Message.parse(answer);
                assertThat(r.count(DnsSection.QUESTION)).as(what).isEqualTo(m.questions.size());
                assertThat(r.count(DnsSection.ANSWER)).as(what).isEqualTo(m.answers.size());
                assertThat(r.count(DnsSection.AUTHORITY)).as(what).isEqualTo(m.authority.size());
                assertThat(r.count(DnsSection.ADDITIONAL)).as(what).isEqualTo(m.additional.size());
            } finally {
                ReferenceCountUtil.release(r);
            }
        } catch (io.netty.handler.codec.DecoderException e) {
            throw new AssertionError(what + "\nNetty cannot decode the answer: " + e, e);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static byte[] frame(byte[] message) {
        byte[] f = new byte[2 + message.length];
        f[0] = (byte) (message.length >> 8);
        f[1] = (byte) message.length;
        System.arraycopy(message, 0, f, 2, message.length);
        return f;
    }

    private static byte[] frames(List<byte[]> answers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] a : answers) {
            if (a != null) {
                out.writeBytes(frame(a));
            }
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String hex(byte[] b) {
        return b == null ? "(nothing)" : ByteBufUtil.hexDump(b);
    }

    /** A question: the name in lower-case-insensitive presentation form (as asked), type and class. */
    record Question(String name, int type, int dnsClass) {
    }

    /** A resource record as read: owner name, type, class. */
    record Rr(String owner, int type, int dnsClass, long ttl, int length) {
    }

    /** Reads names the way RFC 1035 section 4.1.4 says, independently of Ferry's parser. */
    private static final class Reader {
        final byte[] b;
        int at;
        String malformed;

        Reader(byte[] b, int at) {
            this.b = b;
            this.at = at;
        }

        boolean has(int n) {
            if (at + n > b.length) {
                fail("the counts run beyond the message");
                return false;
            }
            return true;
        }

        void fail(String why) {
            if (malformed == null) {
                malformed = why;
            }
        }

        int u16() {
            int v = (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
            at += 2;
            return v;
        }

        /** A name, labels joined by '.', label bytes other than letters and digits and '-' '_' written \DDD. */
        String name() {
            StringBuilder name = new StringBuilder();
            int p = at;
            int wire = 1;
            int jumps = 0;
            boolean jumped = false;
            while (true) {
                if (p >= b.length) {
                    fail("a name runs beyond the message");
                    return null;
                }
                int len = b[p] & 0xff;
                if (len == 0) {
                    if (!jumped) {
                        at = p + 1;
                    }
                    return name.toString();
                }
                if ((len & 0xc0) == 0xc0) {
                    if (p + 1 >= b.length) {
                        fail("a pointer runs beyond the message");
                        return null;
                    }
                    int target = ((len & 0x3f) << 8) | b[p + 1] & 0xff;
                    if (target >= p || ++jumps > 64) {
                        fail("a pointer that does not point backwards");
                        return null;
                    }
                    if (!jumped) {
                        at = p + 2;
                        jumped = true;
                    }
                    p = target;
                    continue;
                }
                if ((len & 0xc0) != 0) {
                    fail("an extended label type");
                    return null;
                }
                wire += len + 1;
                if (wire > 255) {
                    fail("a name longer than 255 octets");
                    return null;
                }
                if (p + 1 + len > b.length) {
                    fail("a label runs beyond the message");
                    return null;
                }
                if (!name.isEmpty()) {
                    name.append('.');
                }
                for (int i = p + 1; i <= p + len; i++) {
                    int c = b[i] & 0xff;
                    if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
                        name.append((char) c);
                    } else {
                        name.append('\\').append(String.format("%03d", c));
                    }
                }
                p += 1 + len;
            }
        }
    }

    /** A query as this test reads it, independently of {@code QueryParser}. */
    static final class Query {
        boolean tooShort;
        boolean response;
        int id;
        int flags;
        int opcode;
        int qdCount;
        Question question;
        int optPayload = -1;
        int optVersion;
        String malformed;

        boolean hasOpt() {
            return optPayload >= 0;
        }

        static Query parse(byte[] b) {
            Query q = new Query();
            if (b.length < 12) {
                q.tooShort = true;
                return q;
            }
            Reader r = new Reader(b, 0);
            q.id = r.u16();
            q.flags = r.u16();
            q.response = (q.flags & 0x8000) != 0;
            q.opcode = q.flags >> 11 & 0xf;
            q.qdCount = r.u16();
            int records = r.u16() + r.u16();
            int additional = r.u16();
            for (int i = 0; i < q.qdCount && r.malformed == null; i++) {
                String name = r.name();
                if (name != null && r.has(4)) {
                    Question question = new Question(name, r.u16(), r.u16());
                    if (q.qdCount == 1) {
                        q.question = question;
                    }
                }
            }
            for (int i = 0; i < records + additional && r.malformed == null; i++) {
                String owner = r.name();
                if (owner == null || !r.has(10)) {
                    break;
                }
                int type = r.u16();
                int dnsClass = r.u16();
                int ttlHigh = r.u16();
                int ttlLow = r.u16();
                int length = r.u16();
                if (!r.has(length)) {
                    break;
                }
                if (type == TYPE_OPT) {
                    if (i < records) {
                        r.fail("an OPT outside the additional section");
                    } else if (!owner.isEmpty()) {
                        r.fail("an OPT not owned by the root");
                    } else if (q.hasOpt()) {
                        r.fail("two OPT records");
                    } else {
                        int o = r.at;
                        while (o < r.at + length) {
                            if (o + 4 > r.at + length
                                    || o + 4 + ((b[o + 2] & 0xff) << 8 | b[o + 3] & 0xff) > r.at + length) {
                                r.fail("an option beyond its OPT");
                                break;
                            }
                            o += 4 + ((b[o + 2] & 0xff) << 8 | b[o + 3] & 0xff);
                        }
                        if (r.malformed == null) {
                            q.optPayload = dnsClass;
                            q.optVersion = ttlHigh & 0xff;
                        }
                    }
                }
                r.at += length;
            }
            q.malformed = r.malformed;
            return q;
        }
    }

    /** A response as this test reads it: strict, nothing left over. */
    static final class Message {
        int id;
        int flags;
        final List<Question> questions = new ArrayList<>();
        final List<Rr> answers = new ArrayList<>();
        final List<Rr> authority = new ArrayList<>();
        final List<Rr> additional = new ArrayList<>();
        int extendedRcode;
        String malformed;

        int rcode() {
            return extendedRcode << 4 | flags & 0xf;
        }

        static Message parse(byte[] b) {
            Message m = new Message();
            if (b.length < 12) {
                m.malformed = "shorter than a header";
                return m;
            }
            Reader r = new Reader(b, 0);
            m.id = r.u16();
            m.flags = r.u16();
            int qd = r.u16();
            int[] counts = {r.u16(), r.u16(), r.u16()};
            for (int i = 0; i < qd && r.malformed == null; i++) {
                String name = r.name();
                if (name != null && r.has(4)) {
                    m.questions.add(new Question(name, r.u16(), r.u16()));
                }
            }
            List<List<Rr>> sections = List.of(m.answers, m.authority, m.additional);
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < counts[s] && r.malformed == null; i++) {
                    String owner = r.name();
                    if (owner == null || !r.has(10)) {
                        break;
                    }
                    int type = r.u16();
                    int dnsClass = r.u16();
                    long ttl = (long) r.u16() << 16 | r.u16();
                    int length = r.u16();
                    if (!r.has(length)) {
                        break;
                    }
                    int end = r.at + length;
                    rdata(r, type, length, end);
                    if (type == TYPE_OPT) {
                        if (s != 2 || !owner.isEmpty()) {
                            r.fail("an OPT out of place");
                        }
                        m.extendedRcode = (int) (ttl >>> 24);
                    } else if (dnsClass != 1) {
                        r.fail("a record of class " + dnsClass);
                    }
                    r.at = end;
                    sections.get(s).add(new Rr(owner, type, dnsClass, ttl, length));
                }
            }
            if (r.malformed == null && r.at != b.length) {
                r.fail((b.length - r.at) + " bytes after the last record");
            }
            m.malformed = r.malformed;
            return m;
        }

        /** Checks the data of the types Ferry writes: its length agrees with what it holds. */
        private static void rdata(Reader r, int type, int length, int end) {
            int start = r.at;
            switch (type) {
                case 1 -> expect(r, length == 4, "an A record of " + length + " bytes");
                case 28 -> expect(r, length == 16, "an AAAA record of " + length + " bytes");
                case 2, 5 -> {
                    r.name();
                    expect(r, r.at == end, "a name that does not fill its record");
                }
                case 6 -> {
                    r.name();
                    if (r.malformed == null) {
                        r.name();
                    }
                    expect(r, r.at + 20 == end, "an SOA whose timers do not fill its record");
                }
                case 33 -> {
                    expect(r, length > 6, "an SRV record of " + length + " bytes");
                    r.at += 6;
                    if (r.malformed == null) {
                        int before = r.at;
                        String target = r.name();
                        expect(r, r.at == end, "an SRV target that does not fill its record");
                        expect(r, target == null || (r.b[before] & 0xc0) == 0, "a compressed SRV target");
                    }
                }
                case 16 -> {
                    int at = start;
                    while (at < end) {
                        at += 1 + (r.b[at] & 0xff);
                    }
                    expect(r, at == end, "TXT strings that do not fill their record");
                }
                default -> {
                }
            }
            r.at = start;
        }

        private static void expect(Reader r, boolean ok, String why) {
            if (!ok) {
                r.fail(why);
            }
        }
    }

    static {
        // The zone's names are ASCII: no escapes to fold.
        assertThat(StandardCharsets.US_ASCII.newEncoder().canEncode(String.join("", EXISTING))).isTrue();
    }
}
