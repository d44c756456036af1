package dev.ferry.proxy.http;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Found by Http1ResponseFuzzTest: a close-delimited response whose Transfer-Encoding names chunked before another
 * coding was re-chunked, so the client was told chunked twice and read it as close-delimited, taking the last chunk
 * for body bytes. Such a body now goes to the client close-delimited, as it came; other codings are still re-chunked.
 */
class ResponseFramingChunkedTwiceTest {
    private static ResponseHead head(String codings) throws Exception {
        return HeadParser.response(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + codings
                + "\r\n\r\n", StandardCharsets.US_ASCII), 8192, 65536, false);
    }

    @Test
    void chunkedBeforeAnotherCodingGoesOnCloseDelimited() throws Exception {
        ResponseHead head = head("chunked, gzip");
        assertThat(head.framing()).isEqualTo(ResponseHead.Framing.UNTIL_CLOSE);
        assertThat(ResponseFraming.prepare(head, false, true)).as("closes after").isTrue();
        assertThat(ResponseFraming.chunkedToClient(head, false)).isFalse();
        assertThat(head.fields().getAll("transfer-encoding")).containsExactly("chunked, gzip");
    }

    @Test
    void anotherCodingAloneIsStillReChunked() throws Exception {
        ResponseHead head = head("gzip");
        assertThat(ResponseFraming.prepare(head, false, true)).isFalse();
        assertThat(ResponseFraming.chunkedToClient(head, false)).isTrue();
        assertThat(head.fields().getAll("transfer-encoding")).containsExactly("gzip, chunked");
    }
}
