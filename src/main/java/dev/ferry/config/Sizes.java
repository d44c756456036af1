package dev.ferry.config;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses sizes in bytes as the configuration writes them: plain bytes ({@code 4096}) or a number with a unit. Every
 * unit is binary, 1024-based: {@code KiB}, {@code MiB}, {@code GiB}, and the nginx and HAProxy forms {@code k},
 * {@code m}, {@code g} (either case, with or without a trailing {@code b}: {@code 8k}, {@code 8K}, {@code 8kb},
 * {@code 8KB} all mean 8192 bytes); {@code B} is bytes. A fraction such as {@code 1.5KiB} is fine when it comes to
 * whole bytes. Stateless and thread-safe.
 */
public final class Sizes {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(B|KiB|MiB|GiB|[kKmMgG][bB]?)?");
    /** What a size may look like, in words fit for a message. */
    public static final String ALLOWED = "write bytes, or a number and a 1024-based unit (B, KiB, MiB, GiB, "
            + "or k, m, g as nginx writes them), e.g. 4096, 8k, 16KiB, 1MiB";

    private Sizes() {
    }

    /**
     * Parses {@code text}.
     *
     * @param text the size as written, not null
     * @return the number of bytes, never negative
     * @throws IllegalArgumentException when {@code text} is not a size; the message says what is allowed and is fit to
     *                                  show a user
     */
    public static long parse(String text) {
        String trimmed = text.strip();
        Matcher m = FORM.matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; " + ALLOWED);
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(bytesPer(m.group(2))));
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException e) {
            if (bytes.stripTrailingZeros().scale() > 0) {
                throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes; " + ALLOWED);
            }
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
    }

    private static long bytesPer(String unit) {
        if (unit == null || unit.equals("B")) {
            return 1;
        }
        return switch (Character.toLowerCase(unit.charAt(0))) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> throw new IllegalStateException("unit not in the pattern: " + unit);
        };
    }
}
