package dev.ferry.proxy.http;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * The fields of a message head as everything above the codecs sees them, whatever protocol carried them (HTTP/1
 * field lines today: {@link HeadFields}, which keeps them as spans of the received bytes; HTTP/2 header blocks:
 * {@link FieldList}). Routing, hash keys and forwarding headers work on this and never on wire bytes.
 *
 * <p>Names compare case-insensitively (RFC 9110 5.1); values are strings as received.
 *
 * <p>Threading: belongs to one message on one event loop.
 */
interface HeaderFields {
    /** The first value of {@code name} (any case), or null when absent. */
    String get(String name);

    /** Every value of {@code name}, in order; empty when absent. */
    List<String> getAll(String name);

    /** Whether a field {@code name} is present. */
    boolean contains(String name);

    /** Whether a field {@code name} has exactly the value {@code value} (case-sensitive). */
    boolean contains(String name, String value);

    /** Whether a comma-separated list field {@code name} has {@code token}, any case. */
    boolean listHas(String name, String token);

    /** Adds a field after the others. */
    void add(String name, String value);

    /** Replaces every field {@code name} with one of {@code value}. */
    void set(String name, String value);

    /** Removes every field {@code name}. */
    void remove(String name);

    /**
     * Calls {@code visitor} with each field's name and value, in order: for a codec that writes the head in its own
     * form (an HTTP/1 head from another protocol's, or the reverse). Makes strings of every field; the HTTP/1 to
     * HTTP/1 path never calls it.
     */
    void forEach(BiConsumer<String, String> visitor);
}
