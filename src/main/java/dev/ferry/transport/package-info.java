/**
 * Event loops and sockets: the choice between the native epoll transport and NIO, and the socket options Ferry
 * applies (TCP_NODELAY, SO_KEEPALIVE with idle/interval/count, SO_LINGER 0 for resets).
 */
package dev.ferry.transport;
