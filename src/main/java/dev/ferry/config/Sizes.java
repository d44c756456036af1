package dev.ferry.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses sizes in bytes as the configuration writes them: plain bytes ({@code 4096}) or a number with a binary unit
 * ({@code 512B}, {@code 16KiB}, {@code 1MiB}, {@code 2GiB}; a fraction such as {@code 1.5KiB} is fine when it comes
 * to whole bytes). Decimal units ({@code KB}, {@code MB}) are refused on purpose: operators read them as either 1000
 * or 1024, and a buffer size should not depend on that guess. Stateless and thread-safe.
 */
public final class Sizes {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(B|KiB|MiB|GiB)?");
    private static final Pattern DECIMAL_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kKmMgG])[bB]?");
    private static final String ALLOWED =
            "write bytes, or a number and a unit (B, KiB, MiB or GiB), e.g. 4096, 16KiB, 1MiB";

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
            Matcher decimal = DECIMAL_UNIT.matcher(trimmed);
            if (decimal.matches()) {
                String binary = decimal.group(1) + decimal.group(2).toUpperCase(Locale.ROOT) + "iB";
                throw new IllegalArgumentException("'" + text + "' uses a decimal unit; sizes use binary units, write "
                        + binary + " for " + decimal.group(1) + " x " + multiplierText(decimal.group(2)) + " bytes");
            }
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
        if (unit == null) {
            return 1;
        }
        return switch (unit) {
            case "B" -> 1;
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            default -> throw new IllegalStateException("unit not in the pattern: " + unit);
        };
    }

    private static String multiplierText(String letter) {
        return switch (letter.toUpperCase(Locale.ROOT)) {
            case "K" -> "1024";
            case "M" -> "1024^2";
            default -> "1024^3";
        };
    }
}
