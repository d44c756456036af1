package dev.ferry.proxy.http;

import dev.ferry.config.TlsConfig;
import dev.ferry.transport.ClientCertificate;

import java.util.Optional;

/**
 * The request headers that tell servers about the client's TLS certificate ({@code tls.client_cert_headers}; by
 * default {@code x-client-cert-subject}, {@code x-client-cert-issuer} and {@code x-client-cert-verified}, after
 * HAProxy's {@code ssl_c_s_dn}, {@code ssl_c_i_dn} and {@code ssl_c_verify} and nginx's {@code $ssl_client_verify}).
 * On every TLS frontend the three names are removed from what the client sent, so a client cannot forge them; with
 * {@code client_auth} optional or required they are then set: subject and issuer (RFC 2253) of the verified
 * certificate, and {@code verified: SUCCESS}; a client without a certificate gets {@code verified: NONE} only.
 *
 * <p>Threading: immutable; used from every event loop.
 */
final class ClientCertHeaders {
    /** A frontend without TLS: the headers are the servers' business, left as they are. */
    static final ClientCertHeaders NONE = new ClientCertHeaders(null, false);

    private final TlsConfig.ClientCertHeaders names;
    private final boolean set;

    private ClientCertHeaders(TlsConfig.ClientCertHeaders names, boolean set) {
        this.names = names;
        this.set = set;
    }

    static ClientCertHeaders of(Optional<TlsConfig> tls) {
        return tls.map(t -> new ClientCertHeaders(t.clientCertHeaders(), t.clientAuth() != TlsConfig.ClientAuth.NONE))
                .orElse(NONE);
    }

    /** Removes the client's own copies, then sets them from the connection's certificate. */
    void request(HeaderFields h, ForwardingHeaders.Client client) {
        if (names == null) {
            return;
        }
        h.remove(names.subject());
        h.remove(names.issuer());
        h.remove(names.verified());
        if (!set) {
            return;
        }
        ClientCertificate c = client.certificate();
        if (c == null) {
            h.add(names.verified(), "NONE");
            return;
        }
        h.add(names.subject(), visible(c.subject()));
        h.add(names.issuer(), visible(c.issuer()));
        h.add(names.verified(), "SUCCESS");
    }

    /** A name as a header value: bytes outside visible ASCII (control characters, UTF-8) as {@code \xHH}. */
    static String visible(String name) {
        boolean plain = true;
        for (int i = 0; i < name.length() && plain; i++) {
            char ch = name.charAt(i);
            plain = ch >= 0x20 && ch < 0x7f;
        }
        if (plain) {
            return name;
        }
        StringBuilder b = new StringBuilder(name.length() + 16);
        for (byte x : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int v = x & 0xff;
            if (v >= 0x20 && v < 0x7f) {
                b.append((char) v);
            } else {
                b.append(String.format("\\x%02X", v));
            }
        }
        return b.toString();
    }
}
