/**
 * Layer-7 HTTP/1.1 reverse proxying ({@code mode: http}): read request heads strictly
 * ({@link dev.ferry.proxy.http.HeadParser}, RFC 9112; kept as bytes), route them ({@link dev.ferry.proxy.http.Router}),
 * pick a server, borrow a pooled upstream connection on the client's event loop
 * ({@link dev.ferry.proxy.http.UpstreamPool}), rewrite forwarding headers
 * ({@link dev.ferry.proxy.http.ForwardingHeaders}) and stream both bodies with backpressure; short error responses
 * ({@link dev.ferry.proxy.http.ErrorResponses}); WebSocket upgrades become a byte relay.
 */
package dev.ferry.proxy.http;
