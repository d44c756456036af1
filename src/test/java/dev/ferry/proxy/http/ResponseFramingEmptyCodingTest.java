package dev.ferry.proxy.http;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Found by Http1ResponseFuzzTest: an empty Transfer-Encoding on a close-delimited response went out as ", chunked". */
class ResponseFramingEmptyCodingTest {
    @Test
    void anEmptyTransferEncodingBecomesChunked() throws Exception {
        ResponseHead head = HeadParser.response(Unpooled.copiedBuffer(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n", StandardCharsets.US_ASCII), 8192, 65536, false);
        assertThat(head.framing()).isEqualTo(ResponseHead.Framing.UNTIL_CLOSE);
        ResponseFraming.prepare(head, false, true);
        assertThat(head.fields().getAll("transfer-encoding")).containsExactly("chunked");
    }
}
