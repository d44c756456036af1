package dev.ferry.health;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * What an agent answered: Ferry's {@link LoadReport} line, or HAProxy's agent-check words (a compatible subset).
 *
 * <p>HAProxy words understood (case-insensitive, separated by spaces, tabs or commas, anything after {@code #} is a
 * comment): {@code up} and {@code ready} (the server may work), {@code down}, {@code fail} and {@code stopped} (it
 * may not), {@code drain} (no new connections), {@code maint} (out of service), {@code NN%} (weight as a percentage
 * of the configured weight). {@code maxconn:NN} is recognised and ignored. Ferry's {@code key=value} load fields
 * ({@code cpu}, {@code mem}, {@code io}, {@code procs}, {@code running}, {@code load1}, {@code cpus}) form a
 * {@link LoadReport}; once any of them is present, the five that carry the load ({@code cpu}, {@code mem},
 * {@code io}, {@code load1}, {@code cpus}) must all be. Unknown {@code key=value} fields are ignored.
 *
 * @param command       the state word, if any
 * @param weightPercent the {@code NN%} word, if any
 * @param load          Ferry's load fields, if complete
 */
public record AgentReply(Optional<Command> command, OptionalInt weightPercent, Optional<LoadReport> load) {
    /** The state words. */
    public enum Command { UP, READY, DOWN, DRAIN, MAINT }

    /** The longest reply read; HAProxy reads one buffer and agents answer with a short line. */
    public static final int MAX_LENGTH = 1024;

    private static final Pattern SEPARATORS = Pattern.compile("[\\s,]+");
    private static final Pattern PERCENT = Pattern.compile("[0-9]{1,5}%");
    private static final Pattern NUMBER = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final int MAX_PERCENT = 65_535;

    /**
     * Reads one reply line.
     *
     * @throws IllegalArgumentException with a message fit for a log line when the line says nothing understood or a
     *                                  field is malformed
     */
    public static AgentReply parse(String line) {
        String text = line;
        int hash = text.indexOf('#');
        if (hash >= 0) {
            text = text.substring(0, hash);
        }
        Optional<Command> command = Optional.empty();
        OptionalInt percent = OptionalInt.empty();
        Map<String, String> fields = new HashMap<>();
        boolean understood = false;
        for (String word : SEPARATORS.split(text.strip())) {
            if (word.isEmpty()) {
                continue;
            }
            String w = word.toLowerCase(Locale.ROOT);
            Optional<Command> c = command(w);
            if (c.isPresent()) {
                command = c;
                understood = true;
            } else if (PERCENT.matcher(w).matches()) {
                int p = Integer.parseInt(w.substring(0, w.length() - 1));
                if (p > MAX_PERCENT) {
                    throw new IllegalArgumentException("weight " + word + " is above " + MAX_PERCENT + "%");
                }
                percent = OptionalInt.of(p);
                understood = true;
            } else if (w.startsWith("maxconn:")) {
                understood = true;
            } else if (w.indexOf('=') > 0) {
                fields.put(w.substring(0, w.indexOf('=')), w.substring(w.indexOf('=') + 1));
            }
        }
        Optional<LoadReport> load = load(fields);
        if (!understood && load.isEmpty()) {
            throw new IllegalArgumentException("not an agent reply: '" + abbreviate(line.strip()) + "'");
        }
        return new AgentReply(command, percent, load);
    }

    private static Optional<Command> command(String w) {
        return switch (w) {
            case "up" -> Optional.of(Command.UP);
            case "ready" -> Optional.of(Command.READY);
            case "down", "fail", "stopped" -> Optional.of(Command.DOWN);
            case "drain" -> Optional.of(Command.DRAIN);
            case "maint" -> Optional.of(Command.MAINT);
            default -> Optional.empty();
        };
    }

    private static Optional<LoadReport> load(Map<String, String> f) {
        boolean any = f.containsKey("cpu") || f.containsKey("mem") || f.containsKey("io") || f.containsKey("load1")
                || f.containsKey("cpus");
        if (!any) {
            return Optional.empty();
        }
        return Optional.of(new LoadReport(share(f, "cpu"), share(f, "mem"), share(f, "io"),
                (int) count(f, "procs", false), (int) count(f, "running", false), number(f, "load1"),
                (int) Math.max(1, count(f, "cpus", true))));
    }

    private static double share(Map<String, String> f, String key) {
        double v = number(f, key);
        if (v > 1) {
            throw new IllegalArgumentException(key + "=" + f.get(key) + " is not a share between 0 and 1");
        }
        return v;
    }

    private static double number(Map<String, String> f, String key) {
        String v = f.get(key);
        if (v == null) {
            throw new IllegalArgumentException("load report without " + key);
        }
        if (!NUMBER.matcher(v).matches()) {
            throw new IllegalArgumentException(key + "=" + v + " is not a number");
        }
        return Double.parseDouble(v);
    }

    private static long count(Map<String, String> f, String key, boolean required) {
        String v = f.get(key);
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException("load report without " + key);
            }
            return 0;
        }
        if (!v.matches("[0-9]{1,9}")) {
            throw new IllegalArgumentException(key + "=" + v + " is not a whole number");
        }
        return Long.parseLong(v);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** False when the agent says the server must not work: {@code down}, {@code fail}, {@code stopped}, {@code maint}. */
    public boolean serverMayWork() {
        return command.filter(c -> c == Command.DOWN || c == Command.MAINT).isEmpty();
    }

    /** The reply in a few words for a log line. */
    public String describe() {
        StringBuilder s = new StringBuilder("agent says");
        command.ifPresent(c -> s.append(' ').append(c.name().toLowerCase(Locale.ROOT)));
        weightPercent.ifPresent(p -> s.append(' ').append(p).append('%'));
        load.ifPresent(l -> s.append(String.format(Locale.ROOT, " cpu %.2f mem %.2f io %.2f load %.2f/%d cpus",
                l.cpu(), l.memory(), l.io(), l.load1(), l.cpus())));
        return s.toString();
    }
}
