package dev.ferry.transport;

import io.netty.channel.ConnectTimeoutException;

import java.util.Locale;

/**
 * Network failures in a person's words: "connection refused", not "finishConnect(..) failed with error(-111):
 * Connection refused: /127.0.0.1:1". The one place that words them, for the proxies, the health checks, the
 * listeners and the TLS files. Stateless; any thread.
 */
public final class Reasons {
    private Reasons() {
    }

    /**
     * The cause in a person's words: the native call and error number go, and so does a trailing address
     * ({@code : /10.0.0.1:80}, {@code : backend.local/10.0.0.1:80}), which the caller's message names already.
     */
    public static String of(Throwable cause) {
        if (cause == null) {
            return "unknown failure";
        }
        if (cause instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        message = message.replaceFirst("^.*?failed with error\\(-?\\d+\\): ", "").replaceFirst(": [^ /]*/[^ ]+$", "");
        return message.toLowerCase(Locale.ROOT);
    }

    /** Why a listening socket could not be bound, e.g. "address already in use" (no "bind(..) failed: "). */
    public static String ofBind(Throwable cause) {
        return of(cause).replaceFirst("^bind\\(\\.\\.\\) failed: ", "");
    }
}
