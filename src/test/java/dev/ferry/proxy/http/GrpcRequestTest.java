package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What Ferry reads of a gRPC request, and the codes and fields of its gRPC-shaped answers. */
class GrpcRequestTest {

    @Test
    void grpcContentTypesAreRecognisedAndGrpcWebIsNot() {
        assertThat(GrpcRequest.isGrpc("application/grpc")).isTrue();
        assertThat(GrpcRequest.isGrpc("application/grpc+proto")).isTrue();
        assertThat(GrpcRequest.isGrpc("Application/GRPC;charset=utf-8")).isTrue();
        assertThat(GrpcRequest.isGrpc("application/grpc-web")).isFalse();
        assertThat(GrpcRequest.isGrpc("application/grpc-web+proto")).isFalse();
        assertThat(GrpcRequest.isGrpc("application/grpcx")).isFalse();
        assertThat(GrpcRequest.isGrpc("application/json")).isFalse();
        assertThat(GrpcRequest.isGrpc(null)).isFalse();
    }

    @Test
    void grpcTimeoutParsesEveryUnit() {
        assertThat(GrpcRequest.parseTimeout("2H")).isEqualTo(TimeUnit.HOURS.toNanos(2));
        assertThat(GrpcRequest.parseTimeout("3M")).isEqualTo(TimeUnit.MINUTES.toNanos(3));
        assertThat(GrpcRequest.parseTimeout("1S")).isEqualTo(1_000_000_000L);
        assertThat(GrpcRequest.parseTimeout("250m")).isEqualTo(250_000_000L);
        assertThat(GrpcRequest.parseTimeout("1999999u")).isEqualTo(1_999_999_000L);
        assertThat(GrpcRequest.parseTimeout("99999999n")).isEqualTo(99_999_999L);
        assertThat(GrpcRequest.parseTimeout("0n")).isZero();
    }

    @Test
    void aMalformedGrpcTimeoutIsNone() {
        for (String bad : new String[]{"", "m", "10", "123456789m", "-1S", "1s", "1.5S", " 1S", "1 S", "1Sx", "１S"}) {
            assertThat(GrpcRequest.parseTimeout(bad)).as(bad).isEqualTo(GrpcRequest.NO_TIMEOUT);
        }
    }

    @Test
    void theLongestGrpcTimeoutIsCappedSoDeadlinesStillCompare() {
        long longest = GrpcRequest.parseTimeout("99999999H");
        assertThat(longest).isEqualTo(Long.MAX_VALUE / 4);
        long start = Long.MAX_VALUE - 10;
        // Wrap-around arithmetic: the capped deadline still lies after now, and after a 30 s backend timeout.
        long due = start + longest;
        assertThat(due - start).isPositive();
        assertThat(due - (start + 30_000_000_000L)).isPositive();
    }

    @Test
    void theDeadlineIsTheEarlierOfGrpcTimeoutAndTheBackendsDue() {
        RequestHeaders head = head("application/grpc", "500m");
        GrpcRequest g = GrpcRequest.of(head);
        assertThat(g.hasDeadline()).isTrue();
        assertThat(g.earliest(1_000, 0)).isEqualTo(1_000 + 500_000_000L);
        assertThat(g.earliest(1_000, 2_000)).isEqualTo(2_000);
        assertThat(g.earliest(1_000, 1_000_000_000L)).isEqualTo(1_000 + 500_000_000L);
        GrpcRequest ignored = GrpcRequest.of(head("application/grpc", "soon"));
        assertThat(ignored.hasDeadline()).isFalse();
        assertThat(ignored.timeoutIgnored()).isTrue();
        assertThat(ignored.earliest(1_000, 7)).isEqualTo(7);
        assertThat(GrpcRequest.of(head("text/plain", "1S"))).isNull();
    }

    @Test
    void ferrysStatusesMapToTheseGrpcCodes() {
        assertThat(GrpcStatus.ofLocalReply(503)).isEqualTo(14);
        assertThat(GrpcStatus.ofLocalReply(502)).isEqualTo(14);
        assertThat(GrpcStatus.ofLocalReply(504)).isEqualTo(4);
        assertThat(GrpcStatus.ofLocalReply(404)).isEqualTo(12);
        assertThat(GrpcStatus.ofLocalReply(429)).isEqualTo(8);
        assertThat(GrpcStatus.ofLocalReply(400)).isEqualTo(13);
        assertThat(GrpcStatus.ofLocalReply(431)).isEqualTo(13);
        assertThat(GrpcStatus.ofLocalReply(500)).isEqualTo(13);
        assertThat(GrpcStatus.ofLocalReply(401)).isEqualTo(16);
        assertThat(GrpcStatus.ofLocalReply(403)).isEqualTo(7);
        assertThat(GrpcStatus.ofLocalReply(418)).isEqualTo(2);
    }

    @Test
    void grpcMessageIsPercentEncodedAsTheSpecSays() {
        assertThat(GrpcReplies.percentEncode("plain text: ok")).isEqualTo("plain text: ok");
        assertThat(GrpcReplies.percentEncode("100% über\n")).isEqualTo("100%25 %C3%BCber%0A");
    }

    @Test
    void theHttp2AnswerIsOneTrailersOnlyBlock() {
        Http2Headers h = GrpcReplies.trailersOnly(HttpResponseStatus.SERVICE_UNAVAILABLE, "no server is available",
                "r-1");
        assertThat(h.status().toString()).isEqualTo("200");
        assertThat(h.get("content-type").toString()).isEqualTo("application/grpc");
        assertThat(h.get("grpc-status").toString()).isEqualTo("14");
        assertThat(h.get("grpc-message").toString()).isEqualTo("ferry: no server is available");
        assertThat(h.get("x-request-id").toString()).isEqualTo("r-1");
        assertThat(h.contains("content-length")).isFalse();
    }

    @Test
    void theHttp1AnswerCarriesTheSameFieldsAndNoBody() {
        ByteBuf b = GrpcReplies.http1(UnpooledByteBufAllocator.DEFAULT, HttpResponseStatus.GATEWAY_TIMEOUT,
                "the server did not respond in time", true, null);
        try {
            assertThat(b.toString(StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200 OK\r\n"
                    + "content-type: application/grpc\r\ngrpc-status: 4\r\n"
                    + "grpc-message: ferry: the server did not respond in time\r\ncontent-length: 0\r\n"
                    + "connection: close\r\n\r\n");
        } finally {
            b.release();
        }
    }

    private static RequestHeaders head(String contentType, String timeout) {
        Http2Headers h = new DefaultHttp2Headers().method("POST").scheme("http").authority("x").path("/p")
                .add("content-type", contentType).add("grpc-timeout", timeout);
        return Http2RequestHead.of(h, false, new InetSocketAddress("127.0.0.1", 80));
    }
}
