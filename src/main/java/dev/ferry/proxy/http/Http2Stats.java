package dev.ferry.proxy.http;

import io.netty.handler.codec.http2.Http2Error;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * An http frontend's HTTP/2 connection events: GOAWAY frames Ferry sent by error code
 * ({@code ferry_http2_goaway_total{frontend,code}}), RST_STREAM frames by direction
 * ({@code ferry_http2_rst_total{frontend,direction}}: {@code received} from clients, {@code sent} by Ferry), and the
 * clients' protocol violations by kind ({@code ferry_http2_protocol_violations_total{frontend,kind}},
 * {@link Http2Violation}). Code labels are RFC 9113's names in lower case ({@code no_error},
 * {@code enhance_your_calm}, ...).
 *
 * <p>Threading: counted from every event loop; read from any thread.
 */
public final class Http2Stats {
    private final Map<Http2Error, LongAdder> goAways = new EnumMap<>(Http2Error.class);
    private final Map<Http2Violation, LongAdder> violations = new EnumMap<>(Http2Violation.class);
    private final LongAdder rstReceived = new LongAdder();
    private final LongAdder rstSent = new LongAdder();

    public Http2Stats() {
        for (Http2Error e : Http2Error.values()) {
            goAways.put(e, new LongAdder());
        }
        for (Http2Violation v : Http2Violation.values()) {
            violations.put(v, new LongAdder());
        }
    }

    void goAwaySent(long code) {
        Http2Error e = Http2Error.valueOf(code);
        goAways.get(e == null ? Http2Error.INTERNAL_ERROR : e).increment();
    }

    void countRstReceived() {
        rstReceived.increment();
    }

    void countRstSent() {
        rstSent.increment();
    }

    void violation(Http2Violation kind) {
        violations.get(kind).increment();
    }

    /** The {@code code} label of an error code. */
    public static String label(Http2Error code) {
        return code.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** GOAWAY frames sent with {@code code}. */
    public long goAways(Http2Error code) {
        return goAways.get(code).sum();
    }

    public long rstReceived() {
        return rstReceived.sum();
    }

    public long rstSent() {
        return rstSent.sum();
    }

    /** Violations by their label ({@code rapid_reset}, ...), 0 for an unknown one. */
    public long violations(String kind) {
        for (Http2Violation v : Http2Violation.values()) {
            if (v.label().equals(kind)) {
                return violations.get(v).sum();
            }
        }
        return 0;
    }

    /** Every violation label, in a fixed order. */
    public static java.util.List<String> violationKinds() {
        return java.util.Arrays.stream(Http2Violation.values()).map(Http2Violation::label).toList();
    }
}
