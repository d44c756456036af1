package dev.ferry.proxy.http;

/**
 * The gRPC status code of each HTTP status Ferry answers with itself, for the gRPC-shaped form of its answers
 * ({@link GrpcReplies}).
 *
 * <p>gRPC's {@code http-grpc-status-mapping.md} is the table a client uses for a response that carries no
 * {@code grpc-status}, and it says servers must not use it to choose a code; Ferry does set {@code grpc-status}, so it
 * chooses by what its answer means, starting from that table (which Envoy's local replies use as it is):
 * <ul>
 *   <li>503 (no server available, this machine cannot open a connection) and 502 (the connect failed, the server
 *       failed or closed before answering) → 14 {@code UNAVAILABLE}, as the table;
 *   <li>504 (a timeout Ferry enforced: the backend's {@code response} timeout or the request's {@code grpc-timeout})
 *       → 4 {@code DEADLINE_EXCEEDED}, not the table's {@code UNAVAILABLE}: the call ran out of time;
 *   <li>404 (no route) → 12 {@code UNIMPLEMENTED}, as the table and as a gRPC server answers an unknown method;
 *       405 and 501 likewise;
 *   <li>429 → 8 {@code RESOURCE_EXHAUSTED}, not the table's {@code UNAVAILABLE}: Ferry's 429 means a limit of its
 *       own was reached, which is what that code says, and clients do not retry it into the limit;
 *   <li>400, 414, 431 (a request Ferry cannot take) → 13 {@code INTERNAL}, as the table (the request broke the
 *       protocol, not the method's arguments: not {@code INVALID_ARGUMENT}); 500 (a fault of Ferry's) likewise;
 *   <li>401 → 16 {@code UNAUTHENTICATED}, 403 → 7 {@code PERMISSION_DENIED}, as the table;
 *   <li>anything else → 2 {@code UNKNOWN}.
 * </ul>
 *
 * <p>Threading: stateless.
 */
final class GrpcStatus {
    static final int OK = 0;
    static final int UNKNOWN = 2;
    static final int DEADLINE_EXCEEDED = 4;
    static final int PERMISSION_DENIED = 7;
    static final int RESOURCE_EXHAUSTED = 8;
    static final int UNIMPLEMENTED = 12;
    static final int INTERNAL = 13;
    static final int UNAVAILABLE = 14;
    static final int UNAUTHENTICATED = 16;

    private GrpcStatus() {
    }

    /** The gRPC status code of Ferry's own answer with HTTP status {@code httpStatus}. */
    static int ofLocalReply(int httpStatus) {
        return switch (httpStatus) {
            case 502, 503 -> UNAVAILABLE;
            case 504 -> DEADLINE_EXCEEDED;
            case 404, 405, 501 -> UNIMPLEMENTED;
            case 429 -> RESOURCE_EXHAUSTED;
            case 400, 414, 431, 500 -> INTERNAL;
            case 401 -> UNAUTHENTICATED;
            case 403 -> PERMISSION_DENIED;
            default -> UNKNOWN;
        };
    }
}
