package dev.ferry.accesslog;

/**
 * Where finished connections and requests are reported.
 *
 * <p>Threading: {@link #log(AccessRecord)} is called on event loops; implementations must return at once and never
 * block (queue, then write elsewhere).
 */
public interface AccessLog extends AutoCloseable {
    /** The access log that writes nothing. */
    AccessLog NONE = new AccessLog() {
        @Override
        public void log(AccessRecord record) {
        }

        @Override
        public boolean enabled() {
            return false;
        }
    };

    void log(AccessRecord record);

    /** False when records are thrown away, so callers can skip building them. */
    default boolean enabled() {
        return true;
    }

    /**
     * Closes and reopens the file by its name, so that after a rename (log rotation) new records go to a new file;
     * records already queued may still go to the old one. Returns at once; the writer reopens soon after.
     */
    default void reopen() {
    }

    @Override
    default void close() {
    }
}
