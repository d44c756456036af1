package dev.ferry.config;

import java.util.Optional;

/**
 * One entry of a zone's {@code records}: a static record, or (with {@code backend}) A, AAAA or SRV records made from
 * the backend's servers at query time.
 *
 * @param name     the owner, absolute, lower case, without the final dot ({@code @} in the file means the apex)
 * @param type     the record type
 * @param ttl      seconds (the zone's ttl when the entry sets none)
 * @param backend  A, AAAA and SRV: answer with this backend's healthy servers, chosen by weight
 * @param answers  with a backend: at most this many records per answer; 0 = every eligible server
 * @param value    static A and AAAA: the address; CNAME: the target name (absolute, without final dot); TXT: the
 *                 text
 * @param priority SRV: the priority (static, or of every record made from the backend)
 * @param weight   static SRV: the weight
 * @param port     static SRV: the port
 * @param target   static SRV: the target name (absolute, without final dot)
 */
public record DnsRecordConfig(String name, DnsRecordType type, int ttl, Optional<String> backend, int answers,
                              Optional<String> value, int priority, int weight, int port, Optional<String> target) {
}
