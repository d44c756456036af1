package dev.ferry.proxy.http;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * How an http frontend's lingering closes ({@link LingeringClose}) ended, for
 * {@code ferry_http_lingering_closes_total{frontend,ended}}. Threading: counted from every event loop; read anywhere.
 */
public final class LingeringStats {
    /** How one lingering close ended; {@link #label()} is the metric's {@code ended} value. */
    public enum Ended {
        /** The client closed (or reset) the connection: the normal end. */
        CLIENT_CLOSED("client_closed"),
        /** Nothing arrived for {@code lingering_timeout}. */
        TIMEOUT("timeout"),
        /** {@code lingering_time} passed since Ferry's FIN. */
        TIME_CAP("time_cap"),
        /** The client sent more than {@code lingering_bytes}. */
        BYTE_CAP("byte_cap");

        private final String label;

        Ended(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Map<Ended, LongAdder> counts = new EnumMap<>(Ended.class);

    public LingeringStats() {
        for (Ended e : Ended.values()) {
            counts.put(e, new LongAdder());
        }
    }

    void ended(Ended how) {
        counts.get(how).increment();
    }

    public long count(Ended how) {
        return counts.get(how).sum();
    }
}
