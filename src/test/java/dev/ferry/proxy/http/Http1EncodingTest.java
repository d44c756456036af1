package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The codec boundary's neutral heads: an HTTP/1 head seen through {@link RequestHeaders} and {@link HeaderFields}
 * (edits included), and a head from another protocol written as HTTP/1.1 for a server ({@link Http1Encoding}).
 */
class Http1EncodingTest {
    /** A head as another protocol's codec (HTTP/2) would make it: fields in a list, no wire bytes. */
    private record ForeignHead(HttpMethod method, String uri, ListFields fields, boolean declaresBody)
            implements RequestHeaders {
        @Override
        public String protocolVersion() {
            return "2";
        }

        @Override
        public boolean asksUpgrade() {
            return false;
        }

        @Override
        public void removeConnectionFields(boolean keepUpgrade) {
        }
    }

    private static final class ListFields implements HeaderFields {
        final List<String[]> fields = new ArrayList<>();

        ListFields with(String name, String value) {
            add(name, value);
            return this;
        }

        @Override
        public String get(String name) {
            return fields.stream().filter(f -> f[0].equalsIgnoreCase(name)).map(f -> f[1]).findFirst().orElse(null);
        }

        @Override
        public List<String> getAll(String name) {
            return fields.stream().filter(f -> f[0].equalsIgnoreCase(name)).map(f -> f[1]).toList();
        }

        @Override
        public boolean contains(String name) {
            return get(name) != null;
        }

        @Override
        public boolean contains(String name, String value) {
            return getAll(name).contains(value);
        }

        @Override
        public boolean listHas(String name, String token) {
            return getAll(name).stream().flatMap(v -> List.of(v.split(",")).stream())
                    .anyMatch(t -> t.trim().equalsIgnoreCase(token));
        }

        @Override
        public void add(String name, String value) {
            fields.add(new String[]{name, value});
        }

        @Override
        public void set(String name, String value) {
            remove(name);
            add(name, value);
        }

        @Override
        public void remove(String name) {
            fields.removeIf(f -> f[0].equalsIgnoreCase(name));
        }

        @Override
        public void forEach(BiConsumer<String, String> visitor) {
            fields.forEach(f -> visitor.accept(f[0], f[1]));
        }
    }

    private static String text(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    @Test
    void aForeignHeadWithABodyOfNoStatedLengthGoesChunked() {
        ForeignHead head = new ForeignHead(HttpMethod.POST, "/up?x=1",
                new ListFields().with("host", "a.test").with("x-forwarded-for", "10.0.0.1"), true);
        assertThat(Http1Encoding.sendsChunked(head)).isTrue();
        assertThat(text(Http1Encoding.requestHead(head, ByteBufAllocator.DEFAULT))).isEqualTo(
                "POST /up?x=1 HTTP/1.1\r\nhost: a.test\r\nx-forwarded-for: 10.0.0.1\r\n"
                        + "transfer-encoding: chunked\r\n\r\n");
    }

    @Test
    void aForeignHeadWithALengthOrNoBodyKeepsItsFraming() {
        ForeignHead sized = new ForeignHead(HttpMethod.PUT, "/f",
                new ListFields().with("host", "a.test").with("content-length", "3"), true);
        assertThat(Http1Encoding.sendsChunked(sized)).isFalse();
        assertThat(text(Http1Encoding.requestHead(sized, ByteBufAllocator.DEFAULT)))
                .isEqualTo("PUT /f HTTP/1.1\r\nhost: a.test\r\ncontent-length: 3\r\n\r\n");
        ForeignHead empty = new ForeignHead(HttpMethod.GET, "/", new ListFields().with("host", "a.test"), false);
        assertThat(Http1Encoding.sendsChunked(empty)).isFalse();
        assertThat(text(Http1Encoding.requestHead(empty, ByteBufAllocator.DEFAULT)))
                .isEqualTo("GET / HTTP/1.1\r\nhost: a.test\r\n\r\n");
    }

    @Test
    void anHttp1HeadSeenNeutrallyListsItsFieldsWithEditsAndKeepsItsOwnBytes() throws Exception {
        ByteBuf in = Unpooled.copiedBuffer("GET /a HTTP/1.0\r\nHost: a.test\r\nConnection: keep-alive, X-Gone\r\n"
                + "X-Gone: 1\r\nX-Kept: 2\r\n\r\n", StandardCharsets.ISO_8859_1);
        try {
            RequestHeaders head = HeadParser.request(in, 100, 200, 10);
            assertThat(head.protocolVersion()).isEqualTo("1.0");
            head.removeConnectionFields(false);
            head.fields().add("Via", "1.0 ferry");
            List<String> seen = new ArrayList<>();
            head.fields().forEach((n, v) -> seen.add(n + "=" + v));
            assertThat(seen).containsExactly("Host=a.test", "X-Kept=2", "Via=1.0 ferry");
            assertThat(Http1Encoding.sendsChunked(head)).isFalse();
            assertThat(text(((RequestHead) head).encode(ByteBufAllocator.DEFAULT)))
                    .isEqualTo("GET /a HTTP/1.1\r\nHost: a.test\r\nX-Kept: 2\r\nVia: 1.0 ferry\r\n\r\n");
        } finally {
            in.release();
        }
    }
}
