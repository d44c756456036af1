/**
 * Layer-4 UDP balancing ({@code mode: udp}): a session per client address and port, bound to one server (or, with
 * {@code udp: {per_datagram: true}}, a server chosen for every datagram), replies sent back from the frontend's
 * socket, idle sessions expired, the session table bounded by the frontend's {@code max_connections}.
 */
package dev.ferry.proxy.udp;
