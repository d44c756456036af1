package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The decoders on an embedded channel: bodies, chunking, split reads, failures. */
class MessageDecoderTest {

    private static List<Object> feed(EmbeddedChannel ch, String wire, int step) {
        byte[] b = wire.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < b.length; i += step) {
            ch.writeInbound(Unpooled.wrappedBuffer(b, i, Math.min(step, b.length - i)));
        }
        List<Object> out = new ArrayList<>();
        for (Object m; (m = ch.readInbound()) != null; ) {
            out.add(m);
        }
        return out;
    }

    /** Heads as their class names, bodies as their text, ends as "|end" (with trailers when there are some). */
    private static String describe(List<Object> messages) {
        StringBuilder s = new StringBuilder();
        for (Object m : messages) {
            if (m instanceof HttpContent c) {
                s.append(c.content().toString(StandardCharsets.ISO_8859_1));
                if (m instanceof LastHttpContent last) {
                    s.append("|end");
                    last.trailingHeaders().forEach(e -> s.append(' ').append(e.getKey()).append('=').append(e.getValue()));
                    s.append(';');
                }
                c.release();
            } else {
                s.append('<').append(m.getClass().getSimpleName()).append('>');
            }
        }
        return s.toString();
    }

    @Test
    void pipelinedRequestsWithLengthAndChunkedBodiesDecodeTheSameWhateverTheReadSizes() {
        String wire = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n"
                + "GET /c HTTP/1.1\r\nHost: x\r\n\r\n";
        String expected = "<RequestHead>hello|end;<RequestHead>abcde|end X-Sum=9;<RequestHead>|end;";
        for (int step : new int[] {1, 7, wire.length()}) {
            EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(8192, 8192, 100, bytes -> { }));
            assertThat(describe(feed(ch, wire, step))).as("reads of %d bytes", step).isEqualTo(expected);
            assertThat(ch.finish()).isFalse();
        }
    }

    @Test
    void aBrokenChunkIsAFailureAndNothingAfterItIsDecoded() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(8192, 8192, 100, bytes -> { }));
        List<Object> out = feed(ch, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 64);
        assertThat(out).hasSize(3);
        assertThat(out.get(0)).isInstanceOf(RequestHead.class);
        ((HttpContent) out.get(1)).release();
        assertThat(out.get(2)).isInstanceOfSatisfying(DecodeFailure.class,
                f -> assertThat(f.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST));
        assertThat(feed(ch, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 64)).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void aCloseDelimitedResponseEndsWhenTheServerCloses() {
        ResponseDecoder decoder = new ResponseDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        decoder.expectResponseTo(false);
        List<Object> out = feed(ch, "HTTP/1.1 200 OK\r\n\r\npart one, ", 5);
        out.addAll(feed(ch, "part two", 100));
        ch.close();
        for (Object m; (m = ch.readInbound()) != null; ) {
            out.add(m);
        }
        assertThat(describe(out).replace("<ResponseHead>", "")).isEqualTo("part one, part two|end;");
    }

    @Test
    void bytesAfterASwitchOfProtocolsArePassedOnRawWhenTheDecoderLeaves() {
        ResponseDecoder decoder = new ResponseDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        decoder.expectResponseTo(false);
        List<Object> out = feed(ch, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0081\u0002hi", 100);
        assertThat(describe(out)).isEqualTo("<ResponseHead>|end;");
        ch.pipeline().remove(decoder);
        ByteBuf raw = ch.readInbound();
        assertThat(raw.toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0081\u0002hi");
        raw.release();
    }

    @Test
    void whatFollowsAnUpgradeRequestIsHeldThenPassedOnRawOrDecodedWhenResumed() {
        String upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                + "Content-Length: 2\r\n\r\nok";
        String behind = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
        for (int step : new int[] {1, 9, 1000}) {
            RequestDecoder decoder = new RequestDecoder(8192, 8192, 100, bytes -> { });
            EmbeddedChannel ch = new EmbeddedChannel(decoder);
            assertThat(describe(feed(ch, upgrade + behind, step))).as("step %d", step)
                    .isEqualTo("<RequestHead>ok|end;");
            decoder.resume();
            ch.runPendingTasks();
            assertThat(describe(feed(ch, "", 1))).as("step %d", step).isEqualTo("<RequestHead>|end;");
            assertThat(ch.finish()).isFalse();

            decoder = new RequestDecoder(8192, 8192, 100, bytes -> { });
            ch = new EmbeddedChannel(decoder);
            assertThat(describe(feed(ch, upgrade + behind, step))).isEqualTo("<RequestHead>ok|end;");
            ch.pipeline().remove(decoder);
            ByteBuf raw = ch.readInbound();
            assertThat(raw.toString(StandardCharsets.ISO_8859_1)).as("step %d", step).isEqualTo(behind);
            raw.release();
            ch.finishAndReleaseAll();
        }
    }
}
