package dev.ferry.health;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hand-written health messages against protobuf's own encoding of {@code grpc.health.v1}. */
class GrpcHealthMessagesTest {

    private static byte[] framed(byte[] message) {
        byte[] f = new byte[5 + message.length];
        f[1] = (byte) (message.length >>> 24);
        f[2] = (byte) (message.length >>> 16);
        f[3] = (byte) (message.length >>> 8);
        f[4] = (byte) message.length;
        System.arraycopy(message, 0, f, 5, message.length);
        return f;
    }

    @Test
    void theRequestIsWhatProtobufWrites() throws Exception {
        for (String service : new String[]{"", "grpc.health.v1.Health", "ü".repeat(100)}) {
            byte[] ours = GrpcHealthMessages.request(service);
            assertThat(ours).as(service).isEqualTo(framed(HealthCheckRequest.newBuilder().setService(service).build()
                    .toByteArray()));
            assertThat(HealthCheckRequest.parseFrom(Arrays.copyOfRange(ours, 5, ours.length)).getService())
                    .isEqualTo(service);
        }
    }

    @Test
    void everyServingStatusIsRead() {
        for (ServingStatus s : new ServingStatus[]{ServingStatus.UNKNOWN, ServingStatus.SERVING,
                ServingStatus.NOT_SERVING, ServingStatus.SERVICE_UNKNOWN}) {
            byte[] wire = framed(HealthCheckResponse.newBuilder().setStatus(s).build().toByteArray());
            assertThat(GrpcHealthMessages.status(wire)).as(s.name()).isEqualTo(s.getNumber());
            assertThat(GrpcHealthMessages.statusName(s.getNumber())).isEqualTo(s.name());
        }
    }

    @Test
    void unknownFieldsAreSkippedAndTheLastStatusWins() {
        // Field 2 varint 300, field 3 a 3-byte string, field 4 fixed64, field 5 fixed32, status 2, then status 1.
        byte[] message = {0x10, (byte) 0xac, 0x02, 0x1a, 3, 'a', 'b', 'c', 0x21, 1, 2, 3, 4, 5, 6, 7, 8,
            0x2d, 1, 2, 3, 4, 0x08, 2, 0x08, 1};
        assertThat(GrpcHealthMessages.status(framed(message))).isEqualTo(GrpcHealthMessages.SERVING);
    }

    @Test
    void whatIsNotOneUncompressedMessageIsRefusedWithAReason() {
        assertThatThrownBy(() -> GrpcHealthMessages.status(new byte[0])).hasMessage("no response message");
        assertThatThrownBy(() -> GrpcHealthMessages.status(new byte[]{0, 0, 0})).hasMessage(
                "a truncated response message");
        byte[] compressed = framed(new byte[]{0x08, 1});
        compressed[0] = 1;
        assertThatThrownBy(() -> GrpcHealthMessages.status(compressed)).hasMessageContaining("compressed");
        byte[] twoMessages = new byte[14];
        System.arraycopy(framed(new byte[]{0x08, 1}), 0, twoMessages, 0, 7);
        System.arraycopy(framed(new byte[]{0x08, 1}), 0, twoMessages, 7, 7);
        assertThatThrownBy(() -> GrpcHealthMessages.status(twoMessages)).hasMessageContaining("prefix says 2");
        assertThatThrownBy(() -> GrpcHealthMessages.status(framed(new byte[]{0x08}))).hasMessageContaining(
                "truncated protobuf field");
        assertThatThrownBy(() -> GrpcHealthMessages.status(framed(new byte[]{0x1a, 9, 'x'}))).hasMessageContaining(
                "truncated protobuf field");
        assertThatThrownBy(() -> GrpcHealthMessages.status(framed(new byte[]{0x0b}))).hasMessageContaining(
                "wire type 3");
        byte[] endless = new byte[12];
        Arrays.fill(endless, (byte) 0xff);
        endless[0] = 0x08;
        assertThatThrownBy(() -> GrpcHealthMessages.status(framed(endless))).hasMessageContaining("longer than 10");
    }

    @Test
    void theChecksTimeoutGoesAsGrpcTimeoutInEightDigits() {
        assertThat(GrpcProbe.grpcTimeout(1_000_000_000L)).isEqualTo("1000m");
        assertThat(GrpcProbe.grpcTimeout(1)).isEqualTo("1m");
        assertThat(GrpcProbe.grpcTimeout(java.util.concurrent.TimeUnit.DAYS.toNanos(1))).isEqualTo("86400000m");
        assertThat(GrpcProbe.grpcTimeout(java.util.concurrent.TimeUnit.DAYS.toNanos(2))).isEqualTo("172800S");
        assertThat(GrpcProbe.grpcTimeout(java.util.concurrent.TimeUnit.DAYS.toNanos(5000))).isEqualTo("99999999S");
    }
}
