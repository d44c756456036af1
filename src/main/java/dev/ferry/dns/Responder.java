package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.config.DnsConfig;
import dev.ferry.config.DnsZoneConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.dns.DnsRecordType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Turns one DNS message into its response, for UDP and TCP alike: parses it ({@link QueryParser}), checks it, finds the
 * zone (the longest origin that contains the name), looks the name up, and writes the answer within the transport's
 * size limit.
 *
 * <p>What a client gets: NOERROR with records; NOERROR without records and the SOA for a name that exists without
 * that type; NXDOMAIN and the SOA for a name that does not exist in a zone; REFUSED outside every zone, for
 * classes other than IN and for zone transfers (AXFR, IXFR); NOTIMP for opcodes other than QUERY; FORMERR for a
 * malformed message (see {@link QueryParser}) or one that does not ask exactly one question, with the question
 * echoed and an OPT record when those parsed; BADVERS for EDNS versions above 0. Messages shorter than a header, and
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
        int flags = message.getUnsignedShort(message.readerIndex() + 2);
        if ((flags & 0x8000) != 0) {
            // A response sent to us: answering it could start a loop between two servers.
            stats.countDropped();
            return null;
        }
        if (tcp) {
            stats.countTcp();
        }
        QueryParser.Query query = parser.parse(message);
        if (query.malformed() != null) {
            log.debug("malformed DNS query from {}: {}", sender, query.malformed());
            return error(alloc, query, Answer.FORMERR, tcp);
        }
        if (query.opcode() != 0) {
            return error(alloc, query, Answer.NOTIMP, tcp);
        }
        if (query.questions() != 1) {
            return error(alloc, query, Answer.FORMERR, tcp);
        }
        QueryParser.Question question = query.question();
        QueryParser.Opt opt = query.opt();
        int limit = limit(opt, tcp);
        Answer answer;
        if (opt != null && opt.version() != 0) {
            answer = new Answer(Answer.BADVERS, false, DnsStats.NO_ZONE, List.of(), List.of(), List.of());
        } else {
            answer = answer(question.name(), DnsRecordType.valueOf(question.type()), question.dnsClass());
        }
        stats.answered(answer.zone(), answer.rcode());
        WireWriter.Written written = writer.write(alloc, query.id(), query.flags(), question, answer, opt,
                MAX_UDP_PAYLOAD, limit);
        if (written.truncated()) {
            stats.countTruncated();
        }
        return written.bytes();
    }

    private static int limit(QueryParser.Opt opt, boolean tcp) {
        if (tcp) {
            return MAX_TCP_MESSAGE;
        }
        return opt == null ? CLASSIC_UDP_PAYLOAD : Math.clamp(opt.payloadSize(), CLASSIC_UDP_PAYLOAD, MAX_UDP_PAYLOAD);
    }

    /** An error without records; it echoes the question and carries an OPT record when the query's parsed. */
    private ByteBuf error(ByteBufAllocator alloc, QueryParser.Query query, int rcode, boolean tcp) {
        stats.answered(DnsStats.NO_ZONE, rcode);
        Answer error = new Answer(rcode, false, DnsStats.NO_ZONE, List.of(), List.of(), List.of());
        return writer.write(alloc, query.id(), query.flags(), query.question(), error, query.opt(), MAX_UDP_PAYLOAD,
                limit(query.opt(), tcp)).bytes();
    }

    /** The answer to one question. */
    Answer answer(String asked, DnsRecordType type, int dnsClass) {
        String name = DnsNames.lowerCase(asked);
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
}
