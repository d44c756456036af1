package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.proxy.http.Http1FuzzHarness;
import dev.ferry.proxy.http.Http2FuzzHarness;
import dev.ferry.proxy.http.Http2FuzzHarness.Outcome;
import dev.ferry.proxy.http.Http2FuzzHarness.Request;
import io.netty.buffer.ByteBufUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes HTTP/2 frames as a frontend reads them: {@code Http2ServerCodec} as Ferry configures it, with a listener
 * that applies Ferry's request checks and makes each request the layer-7 exchange's head
 * ({@link Http2FuzzHarness}). The first input byte picks the split into two reads; the second says whether the
 * client preface and an empty SETTINGS frame go first (so the fuzzer starts past them); the rest are the client's
 * bytes. Invariants:
 * <ul>
 *   <li>no exception escapes the pipeline, and nothing but frames passes the codec;</li>
 *   <li>what Ferry sends is a sequence of well-formed frames (length within the default 16 KiB, stream 0 exactly for
 *       the connection's frame types), every GOAWAY and RST_STREAM with a legal error code (RFC 9113 section 7);
 *       a counted violation is answered with a GOAWAY or a RST_STREAM; after a GOAWAY with an error the connection
 *       is closed;</li>
 *   <li>how the bytes were split into reads changes neither the requests nor what Ferry sends;</li>
 *   <li>every request accepted goes to an HTTP/1 server as a head that Ferry's own HTTP/1 parser reads back as one
 *       request with the same method and target and no failure (no request smuggling from h2 to h1).</li>
 * </ul>
 */
class Http2FrameFuzzTest {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] EMPTY_SETTINGS = {0, 0, 0, 4, 0, 0, 0, 0, 0};

    @FuzzTest
    void frames(byte[] data) {
        if (data.length < 2) {
            return;
        }
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        if ((data[1] & 1) != 0) {
            in.writeBytes(PREFACE);
            in.writeBytes(EMPTY_SETTINGS);
        }
        in.writeBytes(Arrays.copyOfRange(data, 2, data.length));
        byte[] input = in.toByteArray();
        int split = (data[0] & 0xff) * input.length / 255;
        String what = "input: " + ByteBufUtil.hexDump(input);

        Outcome whole = Http2FuzzHarness.run(input, input.length);
        Outcome parts = Http2FuzzHarness.run(input, split);
        assertThat(whole.escaped()).as(what).isNull();
        assertThat(parts.escaped()).as(what + "\nsplit at " + split).isNull();
        assertThat(parts.requests().stream().map(Http2FrameFuzzTest::describe).toList()).as(what + "\nsplit at " + split)
                .isEqualTo(whole.requests().stream().map(Http2FrameFuzzTest::describe).toList());
        assertThat(frameList(parts.sent())).as(what + "\nsplit at " + split).isEqualTo(frameList(whole.sent()));
        assertThat(parts.open()).as(what + "\nsplit at " + split).isEqualTo(whole.open());

        String sent = what + "\nsent: " + ByteBufUtil.hexDump(whole.sent());
        boolean goAwayWithError = false;
        boolean refusal = false;
        byte[] s = whole.sent();
        int at = 0;
        while (at < s.length) {
            assertThat(s.length - at).as(sent + "\na whole frame header at " + at).isGreaterThanOrEqualTo(9);
            int length = (s[at] & 0xff) << 16 | (s[at + 1] & 0xff) << 8 | s[at + 2] & 0xff;
            int type = s[at + 3] & 0xff;
            int stream = ((s[at + 5] & 0x7f) << 24) | (s[at + 6] & 0xff) << 16 | (s[at + 7] & 0xff) << 8
                    | s[at + 8] & 0xff;
            assertThat(length).as(sent + "\nframe length at " + at).isLessThanOrEqualTo(16_384);
            assertThat(s.length - at - 9).as(sent + "\nthe frame's payload at " + at).isGreaterThanOrEqualTo(length);
            int p = at + 9;
            switch (type) {
                case 4, 6, 7 -> assertThat(stream).as(sent + "\nSETTINGS, PING, GOAWAY on stream 0").isZero();
                case 0, 1, 3, 9 -> assertThat(stream).as(sent + "\nDATA, HEADERS, RST_STREAM on a stream").isNotZero();
                case 8 -> assertThat(length).as(sent + "\nWINDOW_UPDATE").isEqualTo(4);
                default -> {
                }
            }
            if (type == 7) {
                assertThat(length).as(sent + "\nGOAWAY").isGreaterThanOrEqualTo(8);
                long code = u32(s, p + 4);
                assertThat(code).as(sent + "\nGOAWAY's error code").isBetween(0L, 0xdL);
                goAwayWithError |= code != 0;
                refusal = true;
            }
            if (type == 3) {
                assertThat(length).as(sent + "\nRST_STREAM").isEqualTo(4);
                assertThat(u32(s, p)).as(sent + "\nRST_STREAM's error code").isBetween(0L, 0xdL);
                refusal = true;
            }
            if (type == 1) {
                // A 431 for a header list over the limit, else the 200 this harness answers with.
                refusal |= length > 0;
            }
            at = p + length;
        }
        if (whole.violations() > 0) {
            assertThat(refusal).as(sent + "\na violation is answered").isTrue();
        }
        if (goAwayWithError) {
            assertThat(whole.open()).as(sent + "\nclosed after a GOAWAY with an error").isFalse();
        }
        for (Request r : whole.requests()) {
            byte[] http1 = r.http1();
            Http1FuzzHarness.Decoded again = Http1FuzzHarness.requests(http1, http1.length, 1 << 20, 1 << 20, 1 << 16);
            String head = what + "\nrequest " + r.head() + "\nto HTTP/1: " + new String(http1, StandardCharsets.ISO_8859_1);
            assertThat(again.failed()).as(head + "\nfailure: " + again.failureDetail()).isFalse();
            assertThat(again.messages().size()).as(head).isLessThanOrEqualTo(1);
            String text = new String(http1, StandardCharsets.ISO_8859_1);
            assertThat(text.indexOf("\r\n\r\n")).as(head + "\nthe head ends once, at its end")
                    .isEqualTo(text.length() - 4);
            for (String line : text.substring(0, text.length() - 4).split("\r\n", -1)) {
                assertThat(line).as(head + "\na line without CR, LF or NUL").isNotEmpty().doesNotContain("\r", "\n", "\0");
            }
            String method = r.head().substring(0, r.head().indexOf(' '));
            assertThat(text).as(head).startsWith(method + " ");
        }
    }

    /**
     * The frames sent, as text; a GOAWAY's debug data left out (Netty's names the bytes it had read when it gave up,
     * which depends on the reads).
     */
    private static String frameList(byte[] s) {
        StringBuilder b = new StringBuilder();
        for (int at = 0; at + 9 <= s.length; ) {
            int length = (s[at] & 0xff) << 16 | (s[at + 1] & 0xff) << 8 | s[at + 2] & 0xff;
            int type = s[at + 3] & 0xff;
            int shown = type == 7 ? Math.min(length, 8) : length;
            b.append(ByteBufUtil.hexDump(s, at + 3, 6)).append(' ')
                    .append(ByteBufUtil.hexDump(s, at + 9, Math.max(0, Math.min(shown, s.length - at - 9))))
                    .append('\n');
            at += 9 + length;
        }
        return b.toString();
    }

    private static String describe(Request r) {
        return r.stream() + " " + r.head() + " " + r.bodyBytes();
    }

    private static long u32(byte[] b, int at) {
        return (long) (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }
}
