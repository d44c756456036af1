package dev.ferry.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A header value as a route's {@code request_headers} / {@code response_headers} write it, parsed once when the file
 * is loaded: literal text and variables, nginx's syntax ({@code $request_id}, or {@code ${request_id}} when letters
 * follow; {@code $$} is a literal {@code $}). nginx's form because operators coming from it know it, and because a
 * YAML plain scalar may start with {@code $} (not with {@code %}, HAProxy's and Envoy's sign), so
 * {@code X-Id: $request_id} needs no quotes, even inside {@code { }}.
 *
 * <p>Threading: immutable.
 *
 * @param parts the literal texts and variables in order; adjacent literals are joined
 */
public record ValueTemplate(List<Part> parts) {
    /** What a variable names; its {@link #key()} is how the file writes it. */
    public enum Variable {
        /** The request's id ({@code X-Request-Id}, the client's or Ferry's). */
        REQUEST_ID,
        /** The name of the server the request went to; {@code -} before one is chosen or for Ferry's own answers. */
        SERVER,
        /** The backend of the route; {@code -} for a route that answers itself. */
        BACKEND,
        /** The frontend's name. */
        FRONTEND,
        /** The client's address (the PROXY header's source when there is one), without port. */
        CLIENT_IP,
        /** The client's port. */
        CLIENT_PORT,
        /** The request's host (absolute-form authority or Host), without port. */
        HOST,
        /** {@code https} on a TLS frontend, else {@code http}. */
        SCHEME,
        /** The request method. */
        METHOD,
        /** The request target as the client sent it (path and query). */
        URI;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Optional<Variable> of(String key) {
            return Arrays.stream(values()).filter(v -> v.key().equals(key)).findFirst();
        }

        static List<String> keys() {
            return Arrays.stream(values()).map(Variable::key).toList();
        }
    }

    /** One piece of a template: a literal ({@code variable} null) or a variable ({@code literal} null). */
    public record Part(String literal, Variable variable) {
    }

    public ValueTemplate {
        parts = List.copyOf(parts);
    }

    /** A template of literal text only. */
    public static ValueTemplate literal(String text) {
        return new ValueTemplate(text.isEmpty() ? List.of() : List.of(new Part(text, null)));
    }

    /** Whether it has no variable (its value is the same for every request). */
    public boolean isConstant() {
        return parts.stream().allMatch(p -> p.variable() == null);
    }

    /** Whether it uses {@code variable}. */
    public boolean uses(Variable variable) {
        return parts.stream().anyMatch(p -> p.variable() == variable);
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with a message a person can act on: an unknown variable (with the closest
     *                                  one), a lone {@code $}, an unclosed <code>${</code>, or a character no header
     *                                  value may hold
     */
    public static ValueTemplate parse(String text) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                checkChar(text, c);
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < text.length() && text.charAt(i + 1) == '$') {
                literal.append('$');
                i += 2;
                continue;
            }
            int start;
            int end;
            int next;
            if (i + 1 < text.length() && text.charAt(i + 1) == '{') {
                start = i + 2;
                end = text.indexOf('}', start);
                if (end < 0) {
                    throw new IllegalArgumentException("'" + text + "': '${' is not closed; write ${name}");
                }
                next = end + 1;
            } else {
                start = i + 1;
                end = start;
                while (end < text.length() && isNameChar(text.charAt(end)) && (end > start
                        || !Character.isDigit(text.charAt(end)))) {
                    end++;
                }
                next = end;
            }
            String key = text.substring(start, end);
            if (key.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "': a '$' that starts no variable; write $$ for a "
                        + "dollar sign, or one of " + allowed());
            }
            Variable v = Variable.of(key).orElseThrow(() -> new IllegalArgumentException("unknown variable '$" + key
                    + "'" + Suggestions.closest(key, Variable.keys()).map(s -> "; did you mean '$" + s + "'?")
                    .orElse(";") + " allowed: " + allowed()));
            if (!literal.isEmpty()) {
                parts.add(new Part(literal.toString(), null));
                literal.setLength(0);
            }
            parts.add(new Part(null, v));
            i = next;
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(literal.toString(), null));
        }
        if (!text.isEmpty() && (isWhite(text.charAt(0)) || isWhite(text.charAt(text.length() - 1)))) {
            throw new IllegalArgumentException("'" + text + "' starts or ends with white space, which a header "
                    + "value cannot keep (RFC 9110 5.5)");
        }
        return new ValueTemplate(parts);
    }

    private static String allowed() {
        return String.join(", ", Variable.keys().stream().map(k -> "$" + k).toList());
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || c == '_' || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean isWhite(char c) {
        return c == ' ' || c == '\t';
    }

    private static void checkChar(String text, char c) {
        if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
            throw new IllegalArgumentException("'" + text.replaceAll("[\\p{Cntrl}]", "?") + "' holds a character "
                    + "no header value may hold (a control character, or one outside Latin-1)");
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Part p : parts) {
            b.append(p.variable() == null ? p.literal().replace("$", "$$") : "${" + p.variable().key() + "}");
        }
        return b.toString();
    }
}
