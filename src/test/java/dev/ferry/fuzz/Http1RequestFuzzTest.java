package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.proxy.http.Http1FuzzHarness;
import dev.ferry.proxy.http.Http1FuzzHarness.Decoded;

import java.util.Arrays;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the HTTP/1 request side (Ferry's {@code RequestDecoder} and {@code HeadParser}, body framing included) with
 * the frontend's limits made small so the fuzzer reaches them. The first byte of the input picks where the bytes are
 * split into two reads; the rest are the client's bytes. Invariants:
 * <ul>
 *   <li>a refusal is one of the statuses Ferry answers a bad request with: 400, 414 (request line too long), 431
 *       (field section too large), 501 (a transfer coding Ferry does not forward);</li>
 *   <li>how the bytes were split into reads changes nothing;</li>
 *   <li>what Ferry forwards for the requests it accepted (heads as re-encoded, bodies as re-chunked) re-parses, with
 *       no failure, to the same requests: method, target, framing, fields, body and trailers.</li>
 * </ul>
 */
class Http1RequestFuzzTest {
    static final int MAX_LINE = 200;
    static final int MAX_FIELDS = 1000;
    static final int MAX_COUNT = 24;
    private static final Set<Integer> REFUSALS = Set.of(400, 414, 431, 501);

    @FuzzTest
    void request(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] input = Arrays.copyOfRange(data, 1, data.length);
        int split = (data[0] & 0xff) * input.length / 255;
        Decoded whole = Http1FuzzHarness.requests(input, input.length, MAX_LINE, MAX_FIELDS, MAX_COUNT);
        Decoded parts = Http1FuzzHarness.requests(input, split, MAX_LINE, MAX_FIELDS, MAX_COUNT);
        String what = "input: " + Http1FuzzHarness.text(input);
        if (whole.failed()) {
            assertThat(REFUSALS).as(what).contains(whole.failureStatus());
            assertThat(whole.failureDetail()).as(what).isNotBlank();
            if (whole.failureStatus() == 414 && whole.messages().isEmpty()) {
                // The first request's line was refused as too long: it must really be longer than the limit. Empty
                // lines before it are skipped (RFC 9112 2.2), so they are not the line.
                int start = 0;
                while (start < input.length && (input[start] == '\n'
                        || input[start] == '\r' && start + 1 < input.length && input[start + 1] == '\n')) {
                    start += input[start] == '\n' ? 1 : 2;
                }
                int lf = indexOf(input, start, (byte) '\n');
                assertThat((lf < 0 ? input.length : lf) - start).as(what).isGreaterThan(MAX_LINE);
            }
        }
        assertThat(parts.messages()).as(what).isEqualTo(whole.messages());
        assertThat(parts.failureStatus()).as(what).isEqualTo(whole.failureStatus());

        // Forwarded bytes go to a server: re-read them (with limits that cannot be the reason for a refusal).
        Decoded again = Http1FuzzHarness.requests(whole.forwarded(), whole.forwarded().length,
                1 << 20, 1 << 20, 1 << 20);
        String complete = what + "\nforwarded: " + Http1FuzzHarness.text(whole.forwarded());
        assertThat(again.failed()).as(complete + "\nfailure: " + again.failureDetail()).isFalse();
        assertThat(again.messages()).as(complete).isEqualTo(whole.messages());
        // Chunks go out as they were read, so the forwarded bytes follow the reads; what they mean may not.
        assertThat(Http1FuzzHarness.requests(parts.forwarded(), parts.forwarded().length, 1 << 20, 1 << 20, 1 << 20)
                .messages()).as(complete).isEqualTo(whole.messages());
    }

    private static int indexOf(byte[] b, int from, byte c) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }
}
