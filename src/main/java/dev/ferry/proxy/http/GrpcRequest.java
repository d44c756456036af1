package dev.ferry.proxy.http;

import java.util.concurrent.TimeUnit;

/**
 * What Ferry reads of a gRPC request (gRPC over HTTP/2, {@code PROTOCOL-HTTP2.md}): that it is one, and its deadline.
 *
 * <p>A request is gRPC when its {@code content-type} is {@code application/grpc}, alone or followed by {@code +} (a
 * message format such as {@code application/grpc+proto}) or {@code ;} (parameters), in any case. gRPC-Web
 * ({@code application/grpc-web...}) is not: its errors and trailers travel differently.
 *
 * <p>{@code grpc-timeout} is 1 to 8 ASCII digits and one unit: {@code H} hours, {@code M} minutes, {@code S} seconds,
 * {@code m} milliseconds, {@code u} microseconds, {@code n} nanoseconds. A malformed value is ignored (no deadline
 * from it; the field still goes to the server, which rejects it as a gRPC server must), as Envoy does: Ferry only
 * times the request by it and should not be stricter than the endpoint about it. Values beyond about 73 years are
 * cut to that, so deadlines compare with the wrap-around arithmetic of {@link System#nanoTime()}.
 *
 * <p>Threading: immutable.
 */
final class GrpcRequest {
    /** {@link #timeoutNanos()} when the request has no (valid) {@code grpc-timeout}. */
    static final long NO_TIMEOUT = -1;
    private static final String GRPC = "application/grpc";
    private static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;

    private final long timeoutNanos;
    private final String timeoutText;

    private GrpcRequest(long timeoutNanos, String timeoutText) {
        this.timeoutNanos = timeoutNanos;
        this.timeoutText = timeoutText;
    }

    /** The gRPC view of {@code head}, or null when it is not a gRPC request. */
    static GrpcRequest of(RequestHeaders head) {
        if (!isGrpc(head.fields().get("content-type"))) {
            return null;
        }
        String timeout = head.fields().get("grpc-timeout");
        return new GrpcRequest(timeout == null ? NO_TIMEOUT : parseTimeout(timeout), timeout);
    }

    /** Whether {@code contentType} (may be null) says gRPC: {@code application/grpc}, {@code +...} or {@code ;...}. */
    static boolean isGrpc(String contentType) {
        if (contentType == null || !contentType.regionMatches(true, 0, GRPC, 0, GRPC.length())) {
            return false;
        }
        if (contentType.length() == GRPC.length()) {
            return true;
        }
        char next = contentType.charAt(GRPC.length());
        return next == '+' || next == ';';
    }

    /** A {@code grpc-timeout} value in nanoseconds, or {@link #NO_TIMEOUT} when it is malformed. */
    static long parseTimeout(String value) {
        int n = value.length();
        if (n < 2 || n > 9) {
            return NO_TIMEOUT;
        }
        long amount = 0;
        for (int i = 0; i < n - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return NO_TIMEOUT;
            }
            amount = amount * 10 + (c - '0');
        }
        TimeUnit unit = switch (value.charAt(n - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        if (unit == null) {
            return NO_TIMEOUT;
        }
        // At most 99,999,999 hours: TimeUnit saturates at Long.MAX_VALUE, then the cap applies.
        return Math.min(unit.toNanos(amount), MAX_TIMEOUT_NANOS);
    }

    /** Whether the request carries a valid {@code grpc-timeout}. */
    boolean hasDeadline() {
        return timeoutNanos != NO_TIMEOUT;
    }

    /** Whether the request carries a {@code grpc-timeout} that did not parse (and is ignored). */
    boolean timeoutIgnored() {
        return timeoutText != null && timeoutNanos == NO_TIMEOUT;
    }

    /** The {@code grpc-timeout} in nanoseconds, or {@link #NO_TIMEOUT}. */
    long timeoutNanos() {
        return timeoutNanos;
    }

    /** The {@code grpc-timeout} as the client wrote it (null when absent), for log lines and messages. */
    String timeoutText() {
        return timeoutText;
    }

    /** When the deadline passes for a request whose head arrived at {@code startNanos}; needs {@link #hasDeadline}. */
    long dueAt(long startNanos) {
        return startNanos + timeoutNanos;
    }

    /**
     * The earlier of the deadline and {@code otherDue} (0: none), for a request whose head arrived at
     * {@code startNanos}; {@code otherDue} when the request has no deadline.
     */
    long earliest(long startNanos, long otherDue) {
        if (!hasDeadline()) {
            return otherDue;
        }
        long due = dueAt(startNanos);
        return otherDue == 0 || due - otherDue < 0 ? due : otherDue;
    }
}
