package dev.ferry.accesslog;

/**
 * One finished connection or request.
 *
 * @param startMillis    when it began (epoch milliseconds)
 * @param client         the client's address as {@code host:port} (after a PROXY header: the original client)
 * @param frontend       the frontend's name
 * @param backend        the backend's name, or "-" when none was chosen
 * @param server         the server's name, or "-" when none could take it
 * @param status         the HTTP status, or 0 for a TCP connection
 * @param request        {@code METHOD path} at layer 7, or "-"
 * @param bytesIn        bytes received from the client
 * @param bytesOut       bytes sent to the client
 * @param connectMillis  time to connect to the server, or -1 when no connection was made
 * @param durationMillis total time from accept (or request start) to the end
 * @param termination    how it ended: the {@link Termination#word() word} of a {@link Termination}, e.g.
 *                       {@code client_closed}, {@code server_reset}, {@code idle_timeout}, {@code no_server}
 * @param requestId      the request id at layer 7, or "-"
 */
public record AccessRecord(long startMillis, String client, String frontend, String backend, String server, int status,
                           String request, long bytesIn, long bytesOut, long connectMillis, long durationMillis,
                           String termination, String requestId) {

    /** A record whose end is {@code termination} (written as its word). */
    public AccessRecord(long startMillis, String client, String frontend, String backend, String server, int status,
                        String request, long bytesIn, long bytesOut, long connectMillis, long durationMillis,
                        Termination termination, String requestId) {
        this(startMillis, client, frontend, backend, server, status, request, bytesIn, bytesOut, connectMillis,
                durationMillis, termination.word(), requestId);
    }
}
