package dev.ferry.health;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The two messages of {@code grpc.health.v1.Health/Check}, written and read by hand so that Ferry needs neither
 * protobuf nor grpc-java: {@code HealthCheckRequest} is {@code string service = 1}, {@code HealthCheckResponse} is
 * {@code ServingStatus status = 1} ({@code UNKNOWN 0}, {@code SERVING 1}, {@code NOT_SERVING 2},
 * {@code SERVICE_UNKNOWN 3}). Each travels as one gRPC length-prefixed message: a compressed flag byte (always 0
 * here: the check asks for no compression), a 4-byte big-endian length, the protobuf bytes.
 *
 * <p>Threading: stateless.
 */
final class GrpcHealthMessages {
    /** The method's HTTP/2 {@code :path}. */
    static final String PATH = "/grpc.health.v1.Health/Check";
    static final int SERVING = 1;
    /** The most bytes of a response the check reads: a HealthCheckResponse is a few bytes. */
    static final int MAX_RESPONSE = 16 * 1024;
    private static final int PREFIX = 5;

    private GrpcHealthMessages() {
    }

    /** A HealthCheckRequest for {@code service} ({@code ""}: the server as a whole), framed. */
    static byte[] request(String service) {
        byte[] name = service.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream message = new ByteArrayOutputStream(name.length + 8);
        if (name.length > 0) {
            // Field 1, wire type 2 (length-delimited); proto3 leaves an empty string out.
            message.write(0x0a);
            writeVarint(message, name.length);
            message.writeBytes(name);
        }
        byte[] body = message.toByteArray();
        byte[] framed = new byte[PREFIX + body.length];
        framed[1] = (byte) (body.length >>> 24);
        framed[2] = (byte) (body.length >>> 16);
        framed[3] = (byte) (body.length >>> 8);
        framed[4] = (byte) body.length;
        System.arraycopy(body, 0, framed, PREFIX, body.length);
        return framed;
    }

    /** The name of a ServingStatus value, for a check's reason. */
    static String statusName(int status) {
        return switch (status) {
            case 0 -> "UNKNOWN";
            case 1 -> "SERVING";
            case 2 -> "NOT_SERVING";
            case 3 -> "SERVICE_UNKNOWN";
            default -> "status " + status;
        };
    }

    /**
     * The ServingStatus of one framed HealthCheckResponse (exactly one message, not compressed).
     *
     * @throws IllegalArgumentException when the bytes are not that, with what is wrong
     */
    static int status(byte[] framed) {
        if (framed.length < PREFIX) {
            throw new IllegalArgumentException(framed.length == 0 ? "no response message"
                    : "a truncated response message");
        }
        if (framed[0] != 0) {
            throw new IllegalArgumentException("a compressed response message (none was asked for)");
        }
        long length = ((framed[1] & 0xffL) << 24) | ((framed[2] & 0xff) << 16) | ((framed[3] & 0xff) << 8)
                | (framed[4] & 0xff);
        if (length != framed.length - PREFIX) {
            throw new IllegalArgumentException("a response message of " + (framed.length - PREFIX)
                    + " bytes where its prefix says " + length);
        }
        int status = 0;
        int[] at = {PREFIX};
        // Each turn reads at least one byte: bounded by the message's length.
        while (at[0] < framed.length) {
            long key = readVarint(framed, at);
            int field = (int) (key >>> 3);
            int wireType = (int) (key & 7);
            if (field == 1 && wireType == 0) {
                // The last value of a field wins (protobuf's rule); enum values are int32.
                status = (int) readVarint(framed, at);
                continue;
            }
            switch (wireType) {
                case 0 -> readVarint(framed, at);
                case 1 -> skip(framed, at, 8);
                case 2 -> skip(framed, at, readVarint(framed, at));
                case 5 -> skip(framed, at, 4);
                default -> throw new IllegalArgumentException("a response message that is not protobuf (wire type "
                        + wireType + ")");
            }
        }
        return status;
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        int v = value;
        while ((v & ~0x7f) != 0) {
            out.write((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    private static long readVarint(byte[] b, int[] at) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at[0] >= b.length) {
                throw new IllegalArgumentException("a truncated protobuf field in the response");
            }
            int next = b[at[0]++] & 0xff;
            value |= (long) (next & 0x7f) << shift;
            if ((next & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("a protobuf varint longer than 10 bytes in the response");
    }

    private static void skip(byte[] b, int[] at, long bytes) {
        if (bytes < 0 || bytes > b.length - at[0]) {
            throw new IllegalArgumentException("a truncated protobuf field in the response");
        }
        at[0] += (int) bytes;
    }
}
