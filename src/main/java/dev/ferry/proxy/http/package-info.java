/**
 * Layer-7 HTTP/1.1 and HTTP/2 reverse proxying ({@code mode: http}), cut the way Envoy cuts it: the client connection
 * ({@link dev.ferry.proxy.http.HttpProxyConnection}: HTTP/1 pipelining, keep-alive, drain, the request-head and idle
 * timeouts, upgrades, lingering close; or {@link dev.ferry.proxy.http.Http2ProxyConnection}: HTTP/2 streams over
 * Netty's connection handler, chosen on the first bytes by {@link dev.ferry.proxy.http.Http2Detector}), one {@link dev.ferry.proxy.http.Exchange} per request (route, pick,
 * forwarding headers, request id, relay, access-log record, every local reply) and one
 * {@link dev.ferry.proxy.http.Attempt} per try on a server (the only place that records the server's outcome).
 *
 * <p>Between the exchange and the wire is a codec boundary: {@link dev.ferry.proxy.http.DownstreamStream}
 * ({@link dev.ferry.proxy.http.Http1DownstreamStream}, {@link dev.ferry.proxy.http.Http2DownstreamStream}: one per
 * stream, heads translated by {@link dev.ferry.proxy.http.Http2RequestHead} and
 * {@link dev.ferry.proxy.http.Http2ResponseEncoding}) towards the client, {@link dev.ferry.proxy.http.UpstreamStream}
 * ({@link dev.ferry.proxy.http.UpstreamConnection}, handed out by {@link dev.ferry.proxy.http.UpstreamPool}; for h2c
 * servers {@link dev.ferry.proxy.http.Http2UpstreamStream}, a stream of a shared
 * {@link dev.ferry.proxy.http.Http2UpstreamConnection} from the {@link dev.ferry.proxy.http.Http2UpstreamPool})
 * towards the server, and protocol-neutral heads ({@link dev.ferry.proxy.http.RequestHeaders},
 * {@link dev.ferry.proxy.http.ResponseHeaders}, {@link dev.ferry.proxy.http.HeaderFields}) whose HTTP/1
 * implementations keep the received bytes ({@link dev.ferry.proxy.http.HeadParser}, RFC 9112), so an HTTP/1 head going
 * to an HTTP/1 server is copied once. Routing ({@link dev.ferry.proxy.http.Router}), hash keys and
 * {@link dev.ferry.proxy.http.ForwardingHeaders} see only the neutral heads.
 *
 * <p>HTTP/2 limits ({@code http.h2}): {@link dev.ferry.proxy.http.Http2ServerCodec} is Netty's connection handler
 * built with them (streams, header list, CONTINUATION, rapid reset, MadeYouReset, queued control frames, empty DATA),
 * {@link dev.ferry.proxy.http.Http2ControlFrameBudget} the PING/SETTINGS/PRIORITY budget Netty lacks; what trips
 * them is a {@link dev.ferry.proxy.http.Http2Violation}, counted with GOAWAY and RST_STREAM frames
 * ({@link dev.ferry.proxy.http.Http2FrameCounter}) in {@link dev.ferry.proxy.http.Http2Stats}.
 *
 * <p>Route actions ({@link dev.ferry.proxy.http.RouteActionPlan}, compiled once per route) are stages of the exchange,
 * each in its own class: the route's own answer ({@link dev.ferry.proxy.http.RouteAnswer}:
 * {@link dev.ferry.proxy.http.RedirectAnswer}, {@link dev.ferry.proxy.http.FixedAnswer}), sent through the same
 * response verbs as a server's; the path sent to the server ({@link dev.ferry.proxy.http.PathRewriter}); header rules
 * both ways ({@link dev.ferry.proxy.http.HeaderRewriter}, values from {@link dev.ferry.proxy.http.HeaderTemplate} and
 * the exchange's {@link dev.ferry.proxy.http.ActionValues}); counted in {@link dev.ferry.proxy.http.RouteAnswers}.
 *
 * <p>Time on the proxy path comes from each event loop's {@link dev.ferry.health.Timeline}, so timeouts are tested on
 * a hand-driven clock. Ferry's own answers are short plain-text responses
 * ({@link dev.ferry.proxy.http.ErrorResponses}), or to a gRPC request ({@link dev.ferry.proxy.http.GrpcRequest},
 * whose {@code grpc-timeout} is also a deadline) trailers-only gRPC answers
 * ({@link dev.ferry.proxy.http.GrpcReplies}, codes from {@link dev.ferry.proxy.http.GrpcStatus});
 * WebSocket upgrades become a byte relay ({@link dev.ferry.proxy.http.TunnelRelay}).
 *
 * <p>What operators read of a frontend beside the common counters: its requests by the client's protocol
 * ({@link dev.ferry.proxy.http.RequestsByProtocol}), the HTTP/2 connections and streams open now
 * ({@link dev.ferry.proxy.http.Http2Gauges}) and its lingering closes ({@link dev.ferry.proxy.http.LingeringStats}).
 */
package dev.ferry.proxy.http;
