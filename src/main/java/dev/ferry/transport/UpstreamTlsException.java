package dev.ferry.transport;

import javax.net.ssl.SSLException;

/**
 * A TLS connection to a server that could not be made, in a person's words ("TLS handshake with the server failed
 * (untrusted_certificate): ..."), with the reason it was counted under. It fails the connect of that server: counted
 * as the server's connect failure, retried on another server, 502 when none is left.
 */
public final class UpstreamTlsException extends SSLException {
    private final UpstreamTlsFailures.Reason reason;

    UpstreamTlsException(UpstreamTlsFailures.Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** What the failure was counted as. */
    public UpstreamTlsFailures.Reason reason() {
        return reason;
    }
}
