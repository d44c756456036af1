package dev.ferry.dns;

import io.netty.handler.codec.dns.DnsRecordType;

/**
 * One record of an answer, its data already in wire form.
 *
 * @param name  the owner, absolute, without the final dot
 * @param type  the record type
 * @param ttl   seconds
 * @param rdata the record data as sent on the wire (see {@link Rdata}); not copied, never modified
 */
record ResourceRecord(String name, DnsRecordType type, long ttl, byte[] rdata) {

    /** The same record under another owner name (an answer echoes the name as the client wrote it). */
    ResourceRecord named(String owner) {
        return owner.equals(name) ? this : new ResourceRecord(owner, type, ttl, rdata);
    }
}
