package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.proxy.http.Http1FuzzHarness;
import dev.ferry.proxy.http.Http1FuzzHarness.Decoded;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the HTTP/1 response side (Ferry's {@code ResponseDecoder} and {@code HeadParser}): a server's bytes in
 * answer to one request. The first input byte picks the split into two reads (its low bit: whether the request was
 * a HEAD). Invariants:
 * <ul>
 *   <li>a response Ferry cannot read is a failure with a reason (the exchange answers 502), never an exception;</li>
 *   <li>how the bytes were split into reads changes nothing;</li>
 *   <li>what Ferry sends the client for the responses it read (hop-by-hop fields removed, framed by
 *       {@code ResponseFraming}, the body re-chunked when it was chunked or close-delimited) re-parses to the same
 *       responses: status, fields, body and trailers; bytes the server sent beyond its answer are never forwarded.</li>
 * </ul>
 */
class Http1ResponseFuzzTest {
    @FuzzTest
    void response(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] input = Arrays.copyOfRange(data, 1, data.length);
        boolean head = (data[0] & 1) == 1;
        int split = (data[0] & 0xff) * input.length / 255;
        Decoded whole = Http1FuzzHarness.response(input, input.length, head);
        Decoded parts = Http1FuzzHarness.response(input, split, head);
        String what = "input (head: " + head + "): " + Http1FuzzHarness.text(input);
        if (whole.failed()) {
            assertThat(whole.failureDetail()).as(what).isNotBlank();
        }
        assertThat(mergeRaw(parts.messages())).as(what).isEqualTo(mergeRaw(whole.messages()));
        assertThat(parts.failureStatus()).as(what).isEqualTo(whole.failureStatus());

        Decoded again = Http1FuzzHarness.response(whole.forwarded(), whole.forwarded().length, head);
        String complete = what + "\nforwarded: " + Http1FuzzHarness.text(whole.forwarded());
        assertThat(again.failed()).as(complete + "\nfailure: " + again.failureDetail()).isFalse();
        // The framing may change on the way (close-delimited becomes chunked); the message may not.
        assertThat(withoutFraming(again.messages())).as(complete).isEqualTo(withoutFraming(whole.messages()));
        // Chunks go out as they were read, so the forwarded bytes follow the reads; what they mean may not.
        assertThat(withoutFraming(Http1FuzzHarness.response(parts.forwarded(), parts.forwarded().length, head)
                .messages())).as(complete).isEqualTo(withoutFraming(whole.messages()));
    }

    /** Messages without the raw bytes that followed them and without how their body was framed. */
    private static List<String> withoutFraming(List<String> messages) {
        return messages.stream().filter(m -> !m.startsWith("raw:"))
                .map(m -> m.replaceFirst(" framing:\\S+( \\d+)?", "")).toList();
    }

    /** Consecutive raw pieces as one: how the bytes were split into reads shows in those alone. */
    private static List<String> mergeRaw(List<String> messages) {
        List<String> out = new ArrayList<>();
        long raw = -1;
        for (String m : messages) {
            if (m.startsWith("raw:")) {
                raw = (raw < 0 ? 0 : raw) + Long.parseLong(m.substring(4));
                continue;
            }
            if (raw >= 0) {
                out.add("raw:" + raw);
                raw = -1;
            }
            out.add(m);
        }
        if (raw >= 0) {
            out.add("raw:" + raw);
        }
        return out;
    }
}
