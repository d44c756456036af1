package dev.ferry.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One open watch: the streaming answer of {@code POST /v3/watch}, one JSON object per line. {@link #next()} blocks
 * for the next message; {@link #close()} (from any thread) ends the stream, and a {@code next()} blocked on it then
 * throws.
 *
 * <p>Threading: one reader thread calls {@code next()}; {@code close()} may come from another.
 */
public final class EtcdWatch implements AutoCloseable {
    /** One change: a put ({@code deleted} false) or a delete of {@code kv.key()}. */
    public record Event(boolean deleted, EtcdClient.KeyValue kv) {
    }

    /**
     * One message of the stream.
     *
     * @param revision        the store's revision when etcd sent it
     * @param created         the watch is now registered (the first message)
     * @param canceled        etcd ended the watch (the stream should be abandoned)
     * @param compactRevision when non-zero, the start revision was compacted away: read again and watch anew
     * @param events          the changes, oldest first
     */
    public record Response(long revision, boolean created, boolean canceled, long compactRevision,
                           List<Event> events) {
    }

    /** The message of the exception {@link #next()} throws after {@link #close()}. */
    static final String CLOSED = "watch closed";

    private final InputStream body;
    private final BufferedReader lines;
    private final String name;
    private volatile boolean closed;
    private volatile Thread reader;

    EtcdWatch(InputStream body, String name) {
        this.body = body;
        this.lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        this.name = name;
    }

    /**
     * The next message.
     *
     * @throws EtcdException (unreachable) when the stream ended or broke, or was closed
     */
    public Response next() throws EtcdException {
        String line;
        reader = Thread.currentThread();
        try {
            if (closed) {
                throw new IOException("closed");
            }
            do {
                line = lines.readLine();
            } while (line != null && line.isBlank());
        } catch (IOException e) {
            throw new EtcdException(closed ? CLOSED : "the watch stream of " + name + " broke: "
                    + e.getMessage(), true);
        } finally {
            reader = null;
            if (closed) {
                Thread.interrupted(); // the interrupt was ours (close): do not leak it to the caller's next wait
            }
        }
        if (line == null) {
            throw new EtcdException(closed ? CLOSED : "etcd ended the watch stream of " + name, true);
        }
        JsonNode message;
        try {
            message = EtcdClient.JSON.readTree(line);
        } catch (IOException e) {
            throw new EtcdException("etcd sent a watch message that is not JSON: " + line, true);
        }
        if (message.has("error")) {
            JsonNode error = message.path("error");
            throw new EtcdException("etcd ended the watch: " + error.path("message").asText(error.toString()), true);
        }
        JsonNode r = message.path("result");
        List<Event> events = new ArrayList<>();
        for (JsonNode e : r.path("events")) {
            events.add(new Event("DELETE".equals(e.path("type").asText("PUT")), EtcdClient.keyValue(e.path("kv"))));
        }
        return new Response(EtcdClient.revision(r), r.path("created").asBoolean(false),
                r.path("canceled").asBoolean(false), r.path("compact_revision").asLong(0), events);
    }

    @Override
    public void close() {
        closed = true;
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) {
            r.interrupt(); // a read blocked on the HTTP client's queue wakes only on an interrupt
        }
        try {
            body.close();
        } catch (IOException ignored) {
            // closing a broken stream: nothing more to do
        }
    }
}
