/**
 * Event loops and sockets: the choice between the native epoll transport and NIO, and the socket options Ferry
 * applies (TCP_NODELAY, SO_KEEPALIVE with idle/interval/count, SO_LINGER 0 for resets), the PROXY protocol, and TLS
 * termination for tcp and http frontends ({@link dev.ferry.transport.TlsTerminator}: SNI, PEM files, BoringSSL or the
 * JDK's TLS; the handshake policy, OCSP staples, client certificates, session ticket keys, and the certificates
 * swapped in by a reload), and when writes are flushed ({@link dev.ferry.transport.LoopFlusher}: held while the
 * loop's polls keep finding work, by the loops' select strategy {@link dev.ferry.transport.FlushWhenDrained}).
 */
package dev.ferry.transport;
