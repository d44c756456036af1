package dev.ferry.proxy.http;

import dev.ferry.config.ForwardingHeader;
import dev.ferry.transport.ClientCertificate;
import io.netty.channel.Channel;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * Rewrites the headers of messages passing through: hop-by-hop fields out ({@link HopByHopHeaders}), then, each
 * only when the frontend's {@code forwarding_headers} names it (all by default):
 *
 * <ul>
 *   <li>{@code X-Forwarded-For}: the client's address appended to the list (added when absent);</li>
 *   <li>{@code Forwarded} (RFC 7239): an element {@code for=...;host=...;proto=...} appended;</li>
 *   <li>{@code X-Forwarded-Proto} and {@code X-Forwarded-Host}: added when absent, kept when an earlier proxy set
 *       them (they describe the original request, which the first proxy saw);</li>
 *   <li>{@code Via}: {@code 1.1 ferry} (the received protocol version) appended, on requests and responses;</li>
 *   <li>{@code X-Request-Id}: kept when the client sent one, otherwise generated.</li>
 * </ul>
 *
 * <p>Threading: immutable; used from every event loop.
 */
final class ForwardingHeaders {
    static final String X_FORWARDED_FOR = "x-forwarded-for";
    static final String X_FORWARDED_PROTO = "x-forwarded-proto";
    static final String X_FORWARDED_HOST = "x-forwarded-host";
    static final String FORWARDED = "forwarded";
    static final String X_REQUEST_ID = "x-request-id";
    private static final String VIA = "via";
    private static final String VIA_1_1 = "1.1 ferry";
    private static final String VIA_1_0 = "1.0 ferry";

    private final String proto;
    private final boolean forwardedFor;
    private final boolean forwardedProto;
    private final boolean forwardedHost;
    private final boolean forwarded;
    private final boolean via;
    private final boolean requestIdSent;
    private final ClientCertHeaders clientCert;

    /**
     * @param tls   whether clients reach this frontend over TLS ({@code https}) or not ({@code http})
     * @param added the headers to add
     */
    ForwardingHeaders(boolean tls, Set<ForwardingHeader> added) {
        this(tls, added, ClientCertHeaders.NONE);
    }

    /** @param clientCert the client certificate headers of a TLS frontend ({@link ClientCertHeaders#NONE} without) */
    ForwardingHeaders(boolean tls, Set<ForwardingHeader> added, ClientCertHeaders clientCert) {
        this.clientCert = clientCert;
        this.proto = tls ? "https" : "http";
        this.forwardedFor = added.contains(ForwardingHeader.X_FORWARDED_FOR);
        this.forwardedProto = added.contains(ForwardingHeader.X_FORWARDED_PROTO);
        this.forwardedHost = added.contains(ForwardingHeader.X_FORWARDED_HOST);
        this.forwarded = added.contains(ForwardingHeader.FORWARDED);
        this.via = added.contains(ForwardingHeader.VIA);
        this.requestIdSent = added.contains(ForwardingHeader.X_REQUEST_ID);
    }

    /**
     * The client's address in the forms the headers need; made once per client connection, which also keeps its
     * last {@code Forwarded} element (a keep-alive client names the same host request after request).
     *
     * <p>Threading: confined to the client connection's event loop.
     */
    static final class Client {
        private final String ip;
        private final String forwardedNode;
        private String lastHost;
        private String lastForwarded;
        /** The client connection (for its TLS certificate), or null. */
        private final Channel channel;
        private ClientCertificate certificate;
        private boolean certificateRead;

        private Client(String ip, String forwardedNode, Channel channel) {
            this.ip = ip;
            this.forwardedNode = forwardedNode;
            this.channel = channel;
        }

        static Client of(InetSocketAddress address) {
            return of(address, null);
        }

        /** @param channel the client connection, whose TLS session tells the client certificate */
        static Client of(InetSocketAddress address, Channel channel) {
            if (address == null || address.getAddress() == null) {
                return new Client("unknown", "unknown", channel);
            }
            String ip = address.getAddress().getHostAddress();
            // RFC 7239 6: an IPv6 node is bracketed and, having colons, quoted.
            String node = address.getAddress() instanceof Inet6Address ? "\"[" + ip + "]\"" : ip;
            return new Client(ip, node, channel);
        }

        /** The client's verified TLS certificate, or null; read once, at the first request (after the handshake). */
        ClientCertificate certificate() {
            if (!certificateRead && channel != null) {
                certificate = ClientCertificate.of(channel);
                certificateRead = true;
            }
            return certificate;
        }

        String ip() {
            return ip;
        }

        String forwardedNode() {
            return forwardedNode;
        }
    }

    /** The request's id: the client's {@code X-Request-Id} when it sent one, otherwise a new one. */
    static String requestId(RequestHeaders request) {
        String id = request.fields().get(X_REQUEST_ID);
        return id == null || id.isEmpty() ? RequestIds.next() : id;
    }

    /**
     * Rewrites a request head in place before it goes to a server.
     *
     * @param upgrade   true when a protocol upgrade (WebSocket) is passed through
     * @param requestId from {@link #requestId(RequestHeaders)}; set on the request when the client sent none
     */
    void request(RequestHeaders request, Client client, boolean upgrade, String requestId) {
        request.removeConnectionFields(upgrade);
        HeaderFields h = request.fields();
        if (forwardedFor) {
            append(h, X_FORWARDED_FOR, client.ip());
        }
        if (forwardedProto && !h.contains(X_FORWARDED_PROTO)) {
            h.add(X_FORWARDED_PROTO, proto);
        }
        if (forwardedHost || forwarded) {
            String host = h.get("host");
            if (forwardedHost && host != null && !h.contains(X_FORWARDED_HOST)) {
                h.add(X_FORWARDED_HOST, host);
            }
            if (forwarded) {
                if (client.lastForwarded == null || !java.util.Objects.equals(client.lastHost, host)) {
                    client.lastHost = host;
                    client.lastForwarded = forwardedElement(client, host);
                }
                append(h, FORWARDED, client.lastForwarded);
            }
        }
        if (via) {
            append(h, VIA, via(request.protocolVersion()));
        }
        if (requestIdSent && !h.contains(X_REQUEST_ID, requestId)) {
            h.set(X_REQUEST_ID, requestId);
        }
        clientCert.request(h, client);
    }

    private String forwardedElement(Client client, String host) {
        StringBuilder e = new StringBuilder(48).append("for=").append(client.forwardedNode());
        if (host != null && !host.isEmpty()) {
            e.append(";host=");
            if (HeadParser.isToken(host)) {
                e.append(host);
            } else {
                e.append('"');
                for (int i = 0; i < host.length(); i++) {
                    char c = host.charAt(i);
                    if (c == '\\' || c == '"') {
                        e.append('\\');
                    }
                    e.append(c);
                }
                e.append('"');
            }
        }
        return e.append(";proto=").append(proto).toString();
    }

    /** Rewrites a response head in place before it goes to the client. */
    void response(ResponseHeaders response, boolean upgrade) {
        response.removeConnectionFields(upgrade);
        if (via) {
            append(response.fields(), VIA, via(response.protocolVersion()));
        }
    }

    /** The {@code Via} element for a message received in {@code version} (constants for HTTP/1, no allocation). */
    private static String via(String version) {
        return switch (version) {
            case "1.0" -> VIA_1_0;
            case "1.1" -> VIA_1_1;
            default -> version + " ferry";
        };
    }

    /** Appends {@code value} to a comma-separated list header, folding earlier field lines into one. */
    private static void append(HeaderFields h, String name, String value) {
        if (!h.contains(name)) {
            h.add(name, value);
            return;
        }
        h.set(name, String.join(", ", h.getAll(name)) + ", " + value);
    }
}
