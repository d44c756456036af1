package dev.ferry.config;

/** The record types a zone's {@code records} may configure. */
public enum DnsRecordType {
    A, AAAA, CNAME, TXT, SRV;

    /** True for the types a backend can stand behind. */
    public boolean fromBackend() {
        return this == A || this == AAAA || this == SRV;
    }
}
