package dev.ferry.accesslog;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.ferry.config.AccessLogConfig;

import java.time.Instant;

/**
 * Turns a record into one line.
 * <ul>
 *   <li>text: {@code 2026-11-21T08:40:00.123Z 127.0.0.1:51000 web pool/a 200 "GET /x" in=78 out=120 connect=1ms
 *       time=3ms end=client_closed id=...}</li>
 *   <li>json: {@code {"time":"...","client":"...","frontend":"...","backend":"...","server":"...","status":200,
 *       "request":"GET /x","bytes_in":78,"bytes_out":120,"connect_ms":1,"duration_ms":3,"termination":"...",
 *       "request_id":"..."}}</li>
 * </ul>
 */
final class AccessLogFormat {
    private AccessLogFormat() {
    }

    static String format(AccessRecord r, AccessLogConfig.Format format) {
        return format == AccessLogConfig.Format.JSON ? json(r) : text(r);
    }

    static String text(AccessRecord r) {
        StringBuilder b = new StringBuilder(160)
                .append(Instant.ofEpochMilli(r.startMillis())).append(' ')
                .append(r.client()).append(' ')
                .append(r.frontend()).append(' ')
                .append(r.backend()).append('/').append(r.server()).append(' ')
                .append(r.status() == 0 ? "-" : Integer.toString(r.status())).append(' ')
                .append('"').append(r.request()).append("\" ")
                .append("in=").append(r.bytesIn())
                .append(" out=").append(r.bytesOut())
                .append(" connect=").append(r.connectMillis() < 0 ? "-" : r.connectMillis() + "ms")
                .append(" time=").append(r.durationMillis()).append("ms")
                .append(" end=").append(r.termination());
        if (!r.requestId().equals("-")) {
            b.append(" id=").append(r.requestId());
        }
        return b.toString();
    }

    static String json(AccessRecord r) {
        StringBuilder b = new StringBuilder(256).append('{');
        field(b, "time", Instant.ofEpochMilli(r.startMillis()).toString()).append(',');
        field(b, "client", r.client()).append(',');
        field(b, "frontend", r.frontend()).append(',');
        field(b, "backend", r.backend()).append(',');
        field(b, "server", r.server()).append(',');
        b.append("\"status\":").append(r.status()).append(',');
        field(b, "request", r.request()).append(',');
        b.append("\"bytes_in\":").append(r.bytesIn()).append(',');
        b.append("\"bytes_out\":").append(r.bytesOut()).append(',');
        b.append("\"connect_ms\":").append(r.connectMillis()).append(',');
        b.append("\"duration_ms\":").append(r.durationMillis()).append(',');
        field(b, "termination", r.termination()).append(',');
        field(b, "request_id", r.requestId());
        return b.append('}').toString();
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":\"");
        JsonStringEncoder.getInstance().quoteAsString(value, b);
        return b.append('"');
    }
}
