/**
 * Ferry's authoritative DNS responder ({@code dns:}), on Netty's DNS codec over UDP and TCP: zones with static
 * records and records backed by a backend (its healthy servers' addresses, chosen by weight and rotated), SOA and NS
 * at each apex, NXDOMAIN inside a zone and REFUSED outside, EDNS0 payload sizes and truncation; and
 * {@link dev.ferry.dns.DnsStats}, its counters.
 */
package dev.ferry.dns;
