package dev.ferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * A backend's {@code sticky:} block: layer-7 session persistence by a cookie that holds an opaque, signed server id
 * (never the server's address or name). Immutable.
 *
 * @param cookie     the cookie's name (an HTTP token)
 * @param mode       how the cookie is made: Ferry sets it ({@code insert}), prefixes the server's own cookie
 *                   ({@code prefix}) or only reads the one the server sets with the id Ferry tells it ({@code passive})
 * @param maxAge     insert mode: stickiness ends this long after the cookie was first set (HAProxy {@code maxlife});
 *                   also the cookie's {@code Max-Age}; zero = no limit (a session cookie)
 * @param idle       insert mode: stickiness ends after this long without a request (HAProxy {@code maxidle}); zero =
 *                   no limit
 * @param httponly   insert mode: the cookie carries {@code HttpOnly}
 * @param secure     insert mode: the cookie carries {@code Secure}
 * @param samesite   insert mode: the cookie's {@code SameSite} attribute; empty = none written
 * @param path       insert mode: the cookie's {@code Path}
 * @param domain     insert mode: the cookie's {@code Domain}; empty = none written (the request's host)
 * @param secretFile where the signing key is read from, so that several instances agree; empty = a random key made
 *                   when the backend is built (cookies then hold only for this process)
 */
public record StickyConfig(String cookie, Mode mode, Duration maxAge, Duration idle, boolean httponly,
                           boolean secure, Optional<SameSite> samesite, String path, Optional<String> domain,
                           Optional<Path> secretFile) {
    public static final String DEFAULT_PATH = "/";
    /** The shortest secret a {@code secret_file} may hold, in bytes. */
    public static final int MIN_SECRET_BYTES = 16;

    /** How the sticky cookie is made. */
    public enum Mode {
        INSERT, PREFIX, PASSIVE;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The cookie's {@code SameSite} attribute. */
    public enum SameSite {
        STRICT, LAX, NONE;

        /** As the attribute writes it: {@code Strict}, {@code Lax}, {@code None}. */
        public String attribute() {
            return name().charAt(0) + name().substring(1).toLowerCase(Locale.ROOT);
        }
    }
}
