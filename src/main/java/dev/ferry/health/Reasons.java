package dev.ferry.health;

import io.netty.channel.ConnectTimeoutException;

import java.util.Locale;

/** Turns a network failure into the few words an operator reads in a log line. */
final class Reasons {
    private Reasons() {
    }

    /** "connection refused", not "finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1". */
    static String of(Throwable cause) {
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
}
