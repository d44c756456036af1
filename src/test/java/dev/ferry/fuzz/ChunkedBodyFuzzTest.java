package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.proxy.http.Http1FuzzHarness;
import dev.ferry.proxy.http.Http1FuzzHarness.Decoded;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes chunked bodies (Ferry's {@code MessageDecoder}: chunk-size lines, extensions, chunk data, trailers) behind
 * a fixed chunked request head. The first input byte picks the split into two reads. Invariants:
 * <ul>
 *   <li>a body Ferry cannot read is refused with 400 (a request behind a whole body may be refused as a request);</li>
 *   <li>how the bytes were split into reads changes nothing;</li>
 *   <li>a body Ferry accepted holds exactly the data an independent reading of the chunks (written here from RFC
 *       9112 7.1) finds, and what Ferry forwards, re-chunked, re-parses to the same body and trailers.</li>
 * </ul>
 */
class ChunkedBodyFuzzTest {
    private static final byte[] HEAD = ("POST /upload HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    @FuzzTest
    void chunked(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        byte[] input = new byte[HEAD.length + body.length];
        System.arraycopy(HEAD, 0, input, 0, HEAD.length);
        System.arraycopy(body, 0, input, HEAD.length, body.length);
        int split = HEAD.length + (data[0] & 0xff) * body.length / 255;
        Decoded whole = Http1FuzzHarness.requests(input, input.length, 8192, 65536, 100);
        Decoded parts = Http1FuzzHarness.requests(input, split, 8192, 65536, 100);
        String what = "body: " + Http1FuzzHarness.text(body);
        if (whole.failed()) {
            // A bad body is 400; once the body is whole, what follows is the next request, refused on its own terms.
            boolean bodyWhole = !whole.messages().isEmpty() && !whole.messages().getFirst().endsWith("(body incomplete)");
            assertThat(whole.failureStatus()).as(what + " (" + whole.failureDetail() + ")")
                    .isIn(bodyWhole ? new Integer[] {400, 414, 431, 501} : new Integer[] {400});
        }
        assertThat(parts.messages()).as(what).isEqualTo(whole.messages());
        assertThat(parts.failureStatus()).as(what).isEqualTo(whole.failureStatus());
        assertThat(whole.messages()).as(what).isNotEmpty();
        String first = whole.messages().getFirst();
        if (!first.endsWith("(body incomplete)")) {
            byte[] expected = dechunk(body);
            assertThat(expected).as(what + "\nFerry accepted a body the reference reading refuses").isNotNull();
            assertThat(first).as(what).contains(" body:" + HexFormat.of().formatHex(expected) + " trailers:");
        }
        Decoded again = Http1FuzzHarness.requests(whole.forwarded(), whole.forwarded().length, 1 << 20, 1 << 20,
                1 << 20);
        String complete = what + "\nforwarded: " + Http1FuzzHarness.text(whole.forwarded());
        assertThat(again.failed()).as(complete + "\nfailure: " + again.failureDetail()).isFalse();
        assertThat(again.messages()).as(complete).isEqualTo(whole.messages());
    }

    /**
     * The data of a chunked body read straight from RFC 9112 7.1 (chunk-size, optional extensions, CRLF, data, CRLF;
     * the last chunk, trailer lines, CRLF), or null when the body is malformed or incomplete.
     */
    static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (true) {
            int lineEnd = find(b, i);
            if (lineEnd < 0) {
                return null;
            }
            int j = i;
            long size = 0;
            while (j < lineEnd && HexFormat.isHexDigit(b[j])) {
                if (size > (Long.MAX_VALUE >> 4)) {
                    return null;
                }
                size = size * 16 + HexFormat.fromHexDigit(b[j]);
                j++;
            }
            if (j == i) {
                return null;
            }
            i = lineEnd + 2;
            if (size == 0) {
                // Trailer section: lines up to an empty one.
                while (true) {
                    int end = find(b, i);
                    if (end < 0) {
                        return null;
                    }
                    if (end == i) {
                        return out.toByteArray();
                    }
                    i = end + 2;
                }
            }
            if (b.length - i < size + 2) {
                return null;
            }
            out.write(b, i, (int) size);
            i += (int) size;
            if (b[i] != '\r' || b[i + 1] != '\n') {
                return null;
            }
            i += 2;
        }
    }

    /** Index of the next CRLF from {@code from}, or -1. */
    private static int find(byte[] b, int from) {
        for (int k = from; k + 1 < b.length; k++) {
            if (b[k] == '\r' && b[k + 1] == '\n') {
                return k;
            }
        }
        return -1;
    }
}
