package dev.ferry.proxy.http;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Makes request ids for {@code X-Request-Id}: 32 random hexadecimal digits (128 bits, like a UUID without dashes).
 *
 * <p>Threading: safe from any thread; uses the calling thread's random generator, takes no lock.
 */
final class RequestIds {
    private static final byte[] DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private RequestIds() {
    }

    static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] id = new byte[32];
        fill(id, 0, r.nextLong());
        fill(id, 16, r.nextLong());
        // One array and one string per request: ids are made on the hot path.
        return new String(id, StandardCharsets.ISO_8859_1);
    }

    private static void fill(byte[] into, int at, long bits) {
        for (int i = 15; i >= 0; i--) {
            into[at + i] = DIGITS[(int) (bits & 0xF)];
            bits >>>= 4;
        }
    }
}
