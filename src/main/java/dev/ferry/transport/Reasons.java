package dev.ferry.transport;

import io.netty.channel.ConnectTimeoutException;

import java.util.Locale;

/** Network failures in a person's words: "connection refused", not "finishConnect(..) failed with error(-111)". */
public final class Reasons {
    private Reasons() {
    }

    /** The cause in a person's words: "connection refused", not "finishConnect(..) failed with error(-111): ...". */
    public static String of(Throwable cause) {
        if (cause == null) {
            return "unknown";
        }
        if (cause instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        message = message.replaceFirst("^.*?failed with error\\(-?\\d+\\): ", "").replaceFirst(": /[^ ]+$", "");
        return message.toLowerCase(Locale.ROOT);
    }
}
