package dev.ferry.proxy.http;

/**
 * How a server's response is framed towards the client (RFC 9112 6.3): a body the server delimits by closing is
 * re-framed as chunked for an HTTP/1.1 client, or sent close-delimited to an HTTP/1.0 client (which cannot read
 * chunked either, so a chunked body reaches it de-chunked and close-delimited); responses without a body (HEAD,
 * 1xx, 204, 304) are left alone. Then {@code Connection} says whether the client connection lives on.
 *
 * <p>Threading: stateless.
 */
final class ResponseFraming {
    private ResponseFraming() {
    }

    /** Whether the body goes to the client as chunks. */
    static boolean chunkedToClient(ResponseHead response, boolean client10) {
        ResponseHead.Framing f = response.framing();
        return !client10 && (f == ResponseHead.Framing.CHUNKED
                || f == ResponseHead.Framing.UNTIL_CLOSE && !namesChunked(response.fields()));
    }

    /**
     * Whether the response's Transfer-Encoding names chunked before its last coding (so the body is read until close):
     * chunked again on top would be chunked twice, which readers (Ferry's among them) do not take as chunked framing
     * (found by fuzzing). Such a body goes to the client close-delimited, as it came.
     */
    private static boolean namesChunked(HeadFields fields) {
        String codings = fields.get("transfer-encoding");
        if (codings == null) {
            return false;
        }
        // Before the last coding only: the chunked that prepare adds is last, so the answer is the same after it.
        String[] list = codings.split(",");
        for (int i = 0; i < list.length - 1; i++) {
            if (list[i].trim().equalsIgnoreCase("chunked")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Frames {@code response} (its hop-by-hop fields already removed) for the client, in place.
     *
     * @param keepAlive whether the client connection may carry another request afterwards, as far as the request
     *                  and the exchange so far go
     * @return true when the client connection must close after this response
     */
    static boolean prepare(ResponseHead response, boolean client10, boolean keepAlive) {
        boolean close = !keepAlive;
        HeadFields fields = response.fields();
        switch (response.framing()) {
            case UNTIL_CLOSE -> {
                if (client10 || namesChunked(fields)) {
                    close = true;
                } else {
                    String codings = fields.get("transfer-encoding");
                    // An empty field (found by fuzzing) must not become ", chunked".
                    fields.set("transfer-encoding", codings == null || codings.isBlank() ? "chunked"
                            : codings + ", chunked");
                }
            }
            case CHUNKED -> {
                if (client10) {
                    fields.remove("transfer-encoding");
                    close = true;
                }
            }
            default -> {
            }
        }
        if (close) {
            fields.set("connection", "close");
        } else if (client10) {
            fields.set("connection", "keep-alive");
        }
        return close;
    }
}
