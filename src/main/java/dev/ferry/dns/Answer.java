package dev.ferry.dns;

import java.util.ArrayList;
import java.util.List;

/**
 * What the responder says to one question, before it is put on the wire.
 *
 * @param rcode         the result code (0 NOERROR, 3 NXDOMAIN, 5 REFUSED, ...)
 * @param authoritative the AA bit: set for every answer from one of Ferry's zones
 * @param zone          the zone that answered, or {@link DnsStats#NO_ZONE}
 * @param answers       the answer section
 * @param authority     the authority section (the zone's SOA for negative answers)
 * @param additional    the additional section (addresses of SRV targets Ferry knows)
 */
record Answer(int rcode, boolean authoritative, String zone, List<ResourceRecord> answers,
              List<ResourceRecord> authority, List<ResourceRecord> additional) {
    static final int NOERROR = 0;
    static final int FORMERR = 1;
    static final int SERVFAIL = 2;
    static final int NXDOMAIN = 3;
    static final int NOTIMP = 4;
    static final int REFUSED = 5;
    static final int BADVERS = 16;

    static Answer refused() {
        return new Answer(REFUSED, false, DnsStats.NO_ZONE, List.of(), List.of(), List.of());
    }

    /** Collects an answer while a zone looks names up. Not thread-safe; one per query. */
    static final class Builder {
        final String zone;
        int rcode = NOERROR;
        final List<ResourceRecord> answers = new ArrayList<>();
        final List<ResourceRecord> authority = new ArrayList<>();
        final List<ResourceRecord> additional = new ArrayList<>();

        Builder(String zone) {
            this.zone = zone;
        }

        Answer build() {
            return new Answer(rcode, true, zone, List.copyOf(answers), List.copyOf(authority),
                    List.copyOf(additional));
        }
    }
}
