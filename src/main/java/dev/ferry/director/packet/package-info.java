/** IPv4, TCP, UDP and ICMP headers read and rewritten in place, with RFC 1624 incremental checksums. */
package dev.ferry.director.packet;
