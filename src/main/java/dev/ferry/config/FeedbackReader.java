package dev.ferry.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Reads a backend's {@code feedback:} into a {@link FeedbackConfig}, filling the defaults. */
final class FeedbackReader {
    static final List<String> KEYS = List.of("enabled", "interval", "agent_port", "coefficients");
    static final List<String> COEFFICIENT_KEYS = List.of("input", "cpu", "disk", "memory", "process", "response");
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    private static final Duration POSITIVE = Duration.ofMillis(1);
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]+)?|\\.[0-9]+");

    private FeedbackReader() {
    }

    static FeedbackConfig read(YamlMap f) {
        boolean enabled = f.bool("enabled", true);
        Duration interval = f.duration("interval", DEFAULT_INTERVAL, POSITIVE);
        int agentPort = f.integer("agent_port", FeedbackConfig.DEFAULT_AGENT_PORT, 1, 65535);
        LoadCoefficients coefficients = f.map("coefficients", COEFFICIENT_KEYS).map(FeedbackReader::coefficients)
                .orElse(LoadCoefficients.DEFAULT);
        return new FeedbackConfig(enabled, interval, agentPort, coefficients);
    }

    private static LoadCoefficients coefficients(YamlMap c) {
        LoadCoefficients r = new LoadCoefficients(share(c, "input"), share(c, "cpu"), share(c, "disk"),
                share(c, "memory"), share(c, "process"), share(c, "response"));
        if (Math.abs(r.sum() - 1) > LoadCoefficients.SUM_TOLERANCE && c.keys().stream().allMatch(k -> valid(c, k))) {
            c.problemHere(String.format(Locale.ROOT, "the coefficients add up to %s; they must add up to 1 "
                    + "(a coefficient left out counts as 0)", plain(r.sum())));
        }
        return r;
    }

    private static double share(YamlMap c, String key) {
        return c.parsed(key, "a number from 0 to 1", FeedbackReader::fraction).orElse(0.0);
    }

    private static boolean valid(YamlMap c, String key) {
        return c.quietText(key).map(String::strip).filter(t -> DECIMAL.matcher(t).matches())
                .filter(t -> Double.parseDouble(t) <= 1).isPresent();
    }

    private static double fraction(String text) {
        String t = text.strip();
        if (!DECIMAL.matcher(t).matches()) {
            throw new IllegalArgumentException("expected a number from 0 to 1 such as 0.3, found '" + text + "'");
        }
        double v = Double.parseDouble(t);
        if (v > 1) {
            throw new IllegalArgumentException(t + " is out of range; allowed: 0..1");
        }
        return v;
    }

    /** 0.9 rather than 0.8999999999999999: the sum as the person wrote its parts. */
    private static String plain(double v) {
        return String.format(Locale.ROOT, "%.6f", v).replaceFirst("0+$", "").replaceFirst("\\.$", "");
    }
}
