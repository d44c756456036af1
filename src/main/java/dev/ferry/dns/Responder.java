package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.config.DnsConfig;
import dev.ferry.config.DnsZoneConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one DNS message into its response, for UDP and TCP alike: parses it (Netty's codec), checks it, finds the
 * zone (the longest origin that contains the name), looks the name up, and writes the answer within the transport's
 * size limit.
 *
 * <p>What a client gets: NOERROR with records; NOERROR without records and the SOA for a name that exists without
 * that type; NXDOMAIN and the SOA for a name that does not exist in a zone; REFUSED outside every zone, for
 * classes other than IN and for zone transfers (AXFR, IXFR); NOTIMP for opcodes other than QUERY; FORMERR for a message that cannot be parsed or that
 * does not ask exactly one question; BADVERS for EDNS versions above 0. Messages shorter than a header, and
 * responses, are dropped. Over UDP the limit is 512 bytes, or the client's EDNS payload size up to
 * {@link #MAX_UDP_PAYLOAD}; an answer that does not fit is sent truncated (TC) so the client asks again over TCP.
 *
 * <p>Threading: safe from any event loop; zones are immutable apart from their synchronized rotations.
 */
final class Responder {
    private static final Logger log = LoggerFactory.getLogger(Responder.class);
    /** The EDNS payload size Ferry states and honours at most: the 2020 DNS flag day's value, safe from fragmentation. */
    static final int MAX_UDP_PAYLOAD = 1232;
    static final int CLASSIC_UDP_PAYLOAD = 512;
    static final int MAX_TCP_MESSAGE = 65_535;
    private static final int CLASS_IN = 1;
    private static final int CLASS_ANY = 255;

    private final List<Zone> zones;
    private final DnsStats stats;
    private final QueryParser parser = new QueryParser();
    private final WireWriter writer = new WireWriter();

    Responder(DnsConfig config, Map<String, Backend> backends, long serial, DnsStats stats) {
        this.stats = stats;
        List<Zone> built = new ArrayList<>();
        for (DnsZoneConfig z : config.zones()) {
            built.add(new Zone(z, backends, serial, stats));
        }
        // Longest origin first, so that a zone below another one answers for its own names.
        built.sort(Comparator.comparingInt((Zone z) -> z.origin().length()).reversed());
        this.zones = List.copyOf(built);
    }

    /**
     * The response to {@code message}, or null to send nothing. {@code message} is not released.
     *
     * @param tcp whether the message came over TCP (no size limit but the message's own)
     */
    ByteBuf respond(ByteBuf message, InetSocketAddress sender, InetSocketAddress recipient, boolean tcp,
                    ByteBufAllocator alloc) {
        if (message.readableBytes() < 12) {
            stats.countDropped();
            return null;
        }
        int id = message.getUnsignedShort(message.readerIndex());
        int flags = message.getUnsignedShort(message.readerIndex() + 2);
        if ((flags & 0x8000) != 0) {
            // A response sent to us: answering it could start a loop between two servers.
            stats.countDropped();
            return null;
        }
        if (tcp) {
            stats.countTcp();
        }
        DnsQuery query;
        try {
            query = parser.parse(message, sender, recipient);
        } catch (Exception e) {
            log.debug("malformed DNS query from {}: {}", sender, e.toString());
            stats.answered(DnsStats.NO_ZONE, Answer.FORMERR);
            return writer.error(alloc, id, flags, Answer.FORMERR);
        }
        try {
            return respond(query, id, flags, tcp, alloc);
        } finally {
            query.release();
        }
    }

    private ByteBuf respond(DnsQuery query, int id, int flags, boolean tcp, ByteBufAllocator alloc) {
        if (!query.opCode().equals(DnsOpCode.QUERY)) {
            stats.answered(DnsStats.NO_ZONE, Answer.NOTIMP);
            return writer.error(alloc, id, flags, Answer.NOTIMP);
        }
        if (query.count(DnsSection.QUESTION) != 1) {
            stats.answered(DnsStats.NO_ZONE, Answer.FORMERR);
            return writer.error(alloc, id, flags, Answer.FORMERR);
        }
        DnsQuestion question = query.recordAt(DnsSection.QUESTION);
        String asked = stripDot(question.name());
        WireWriter.Question echo = new WireWriter.Question(question.name(), question.type(), question.dnsClass());
        DnsRecord opt = opt(query);
        int limit = tcp ? MAX_TCP_MESSAGE : CLASSIC_UDP_PAYLOAD;
        Answer answer;
        if (opt != null && (opt.timeToLive() >> 16 & 0xff) != 0) {
            answer = new Answer(Answer.BADVERS, false, DnsStats.NO_ZONE, List.of(), List.of(), List.of());
        } else {
            if (opt != null && !tcp) {
                limit = Math.clamp(opt.dnsClass(), CLASSIC_UDP_PAYLOAD, MAX_UDP_PAYLOAD);
            }
            answer = answer(asked, question.type(), question.dnsClass());
        }
        stats.answered(answer.zone(), answer.rcode());
        try {
            WireWriter.Written written = writer.write(alloc, id, flags, echo, answer,
                    opt == null ? -1 : MAX_UDP_PAYLOAD, limit);
            if (written.truncated()) {
                stats.countTruncated();
            }
            return written.bytes();
        } catch (Exception e) {
            // Only a name the codec cannot write lands here; the client gets an error instead of silence.
            log.debug("cannot write the answer for {}: {}", asked, e.toString());
            return writer.error(alloc, id, flags, Answer.SERVFAIL);
        }
    }

    /** The answer to one question. */
    Answer answer(String asked, DnsRecordType type, int dnsClass) {
        String name = asked.toLowerCase(Locale.ROOT);
        for (Zone zone : zones) {
            if (zone.contains(name)) {
                // Zone transfers are not offered: the zones live in Ferry's configuration, not on secondaries.
                if ((dnsClass != CLASS_IN && dnsClass != CLASS_ANY) || type.equals(DnsRecordType.AXFR)
                        || type.equals(DnsRecordType.IXFR)) {
                    return Answer.refused();
                }
                return zone.lookup(asked, type);
            }
        }
        return Answer.refused();
    }

    private static DnsRecord opt(DnsQuery query) {
        for (int i = 0, n = query.count(DnsSection.ADDITIONAL); i < n; i++) {
            DnsRecord r = query.recordAt(DnsSection.ADDITIONAL, i);
            if (r.type().equals(DnsRecordType.OPT)) {
                return r;
            }
        }
        return null;
    }

    private static String stripDot(String name) {
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }
}
