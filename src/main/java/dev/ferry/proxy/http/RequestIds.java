package dev.ferry.proxy.http;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Makes request ids for {@code X-Request-Id}: 32 random hexadecimal digits (128 bits, like a UUID without dashes).
 *
 * <p>Threading: safe from any thread; uses the calling thread's random generator, takes no lock.
 */
final class RequestIds {
    private static final HexFormat HEX = HexFormat.of();

    private RequestIds() {
    }

    static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return HEX.toHexDigits(r.nextLong()) + HEX.toHexDigits(r.nextLong());
    }
}
