/**
 * Event loops and sockets: the choice between the native epoll transport and NIO, and the socket options Ferry
 * applies (TCP_NODELAY, SO_KEEPALIVE with idle/interval/count, SO_LINGER 0 for resets), the PROXY protocol, and TLS
 * termination for tcp and http frontends ({@link dev.ferry.transport.TlsTerminator}: SNI, PEM files, BoringSSL or the
 * JDK's TLS).
 */
package dev.ferry.transport;
