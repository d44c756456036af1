package dev.ferry.config;

import java.time.Duration;

/**
 * How an http frontend closes a client connection that may still be sending (nginx's {@code lingering_close}): the
 * whole response goes out, then Ferry's side of the connection is shut (a FIN), and the client's further bytes are
 * read and dropped until the client closes, so that the kernel does not answer them with a reset that would destroy
 * the response on its way.
 *
 * @param mode     when to linger (key {@code lingering_close}, default {@code on})
 * @param time     the longest lingering, counted from the FIN (key {@code lingering_time}, default 30s, as nginx)
 * @param timeout  the longest wait for the client's next bytes while lingering (key {@code lingering_timeout},
 *                 default 5s, as nginx)
 * @param maxBytes the most bytes dropped from the moment Ferry decided to close (key {@code lingering_bytes}, default
 *                 64MiB; nginx has no such cap, its time cap alone bounds what a fast client can send)
 */
public record LingeringOptions(Mode mode, Duration time, Duration timeout, long maxBytes) {
    public static final LingeringOptions DEFAULTS =
            new LingeringOptions(Mode.ON, Duration.ofSeconds(30), Duration.ofSeconds(5), 64L * 1024 * 1024);

    /** The values of {@code lingering_close}, nginx's three. */
    public enum Mode {
        /** Close at once (a client still sending may get a reset). */
        OFF,
        /** Linger only when the client may still be sending: a request body not read to its end, unread bytes. */
        ON,
        /** Linger on every close that follows a response. */
        ALWAYS
    }
}
