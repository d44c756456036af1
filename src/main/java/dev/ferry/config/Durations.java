package dev.ferry.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations as the configuration writes them, the one grammar of every duration key (timeouts, intervals,
 * scheduler options): a number and a unit, {@code 250ms}, {@code 2s}, {@code 1m}, {@code 1h}, {@code 1d}. The number
 * may have a fraction ({@code 1.5s}) as long as the result is a whole number of milliseconds; {@code 0} needs no unit. Compound forms ({@code 1m30s}: the message offers {@code 90s}), negative values and other
 * units are refused, so a typo never turns into a surprising value. Stateless and thread-safe.
 */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");
    private static final Pattern COMPOUND = Pattern.compile("(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d)){2,}");
    private static final Pattern PART = Pattern.compile("\\d+(?:\\.\\d+)?(?:ms|s|m|h|d)");
    /** What a duration may look like, in words fit for a message. */
    public static final String ALLOWED = "write a number and a unit (ms, s, m, h or d), e.g. 250ms, 2s, 1.5s, 1m, 1d";

    private Durations() {
    }

    /**
     * Parses {@code text} and checks it is at least {@code min}: the one rule of every duration key, timeouts and
     * scheduler options alike.
     *
     * @throws IllegalArgumentException as {@link #parse(String)} does, or with "must be more than 0" (for a
     *                                  {@code min} of 1ms) or "must be at least MIN" when it is shorter
     */
    public static Duration parse(String text, Duration min) {
        Duration d = parse(text);
        if (d.compareTo(min) < 0) {
            throw new IllegalArgumentException(min.equals(Duration.ofMillis(1)) ? "must be more than 0"
                    : "must be at least " + format(min));
        }
        return d;
    }

    /**
     * Whether {@code text} is nothing like a duration (not a number, a unit and nothing else, in any arrangement
     * the grammar knows): what {@link #parse(String)} refuses with "is not a duration".
     */
    public static boolean isNoDurationForm(String text) {
        try {
            parse(text);
            return false;
        } catch (IllegalArgumentException e) {
            return e.getMessage().equals(notADuration(text));
        }
    }

    /**
     * Parses {@code text}.
     *
     * @param text the duration as written, not null
     * @return the duration, never negative
     * @throws IllegalArgumentException when {@code text} is not a duration; the message says what is allowed and is
     *                                  fit to show a user
     */
    public static Duration parse(String text) {
        String trimmed = text.strip();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = FORM.matcher(trimmed);
        if (!m.matches()) {
            if (trimmed.matches("\\d+(\\.\\d+)?")) {
                throw new IllegalArgumentException("'" + text + "' has no unit; " + ALLOWED);
            }
            if (trimmed.startsWith("-") && FORM.matcher(trimmed.substring(1)).matches()) {
                throw new IllegalArgumentException("'" + text + "' is negative; durations are 0 or more");
            }
            if (COMPOUND.matcher(trimmed).matches()) {
                throw new IllegalArgumentException("'" + text + "' combines units; write it with one unit, as "
                        + format(sumOfParts(trimmed)));
            }
            throw new IllegalArgumentException(notADuration(text));
        }
        BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(millisPer(m.group(2))));
        try {
            return Duration.ofMillis(millis.longValueExact());
        } catch (ArithmeticException e) {
            // Either a fraction of a millisecond or more than a long holds: both are mistakes worth naming.
            if (millis.stripTrailingZeros().scale() > 0) {
                throw new IllegalArgumentException("'" + text + "' is finer than a millisecond; " + ALLOWED);
            }
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
    }

    /** Writes {@code duration} in the shortest configuration form that parses back to it, e.g. {@code 90s}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1_000 == 0) {
            return millis / 1_000 + "s";
        }
        return millis + "ms";
    }

    private static String notADuration(String text) {
        return "'" + text + "' is not a duration; " + ALLOWED;
    }

    private static Duration sumOfParts(String compound) {
        Duration sum = Duration.ZERO;
        Matcher part = PART.matcher(compound);
        while (part.find()) {
            sum = sum.plus(parse(part.group()));
        }
        return sum;
    }

    private static long millisPer(String unit) {
        return switch (unit) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            case "d" -> 86_400_000;
            default -> throw new IllegalStateException("unit not in the pattern: " + unit);
        };
    }
}
