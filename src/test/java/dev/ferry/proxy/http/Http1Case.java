package dev.ferry.proxy.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One case of the HTTP/1 corpus ({@code http1-cases.txt}, read by {@link #parse}): what the client sends, what the
 * origin answers, and what must come of it. The file's header describes the format.
 *
 * @param name        section and title, as the test names it
 * @param sentence    why the expected result is right
 * @param request     the client's bytes
 * @param reply       the origin's bytes for each request, or null for a 200 "ok"
 * @param statuses    the statuses the client reads, in order
 * @param closed      whether Ferry must close the client connection after them
 * @param head        whether the responses answer HEAD requests (read without bodies)
 * @param originCloses whether the origin closes its connection after replying
 * @param forwarded   exactly the requests that reach the origin, or null when not checked
 * @param client      checks on the client's last response
 */
record Http1Case(String name, String sentence, byte[] request, byte[] reply, List<Integer> statuses, boolean closed,
                 boolean head, boolean originCloses, List<Forwarded> forwarded, List<Check> client) {

    /** A request that reached the origin: "METHOD target" and checks on it. */
    record Forwarded(String line, List<Check> checks) {
    }

    /** {@code body=TEXT}, {@code has=Name: value}, {@code lacks=Name} or {@code count=Name:N}. */
    record Check(String kind, String name, String value) {
        void assertOn(String body, Function<String, String> header, ToIntFunction<String> count, String where) {
            switch (kind) {
                case "body" -> assertThat(body).as("body of " + where).isEqualTo(value);
                case "has" -> assertThat(header.apply(name)).as(name + " in " + where).isEqualTo(value);
                case "lacks" -> assertThat(header.apply(name)).as(name + " in " + where).isNull();
                case "count" -> assertThat(count.applyAsInt(name)).as("fields " + name + " in " + where)
                        .isEqualTo(Integer.parseInt(value));
                default -> throw new IllegalStateException(kind);
            }
        }

        static Check parse(String text, String where) {
            int eq = text.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(where + ": a check is kind=value: " + text);
            }
            String kind = text.substring(0, eq).strip();
            String arg = unescapeText(text.substring(eq + 1).strip());
            return switch (kind) {
                case "body" -> new Check(kind, null, arg);
                case "lacks" -> new Check(kind, arg, null);
                case "has" -> new Check(kind, arg.substring(0, arg.indexOf(':')).strip(),
                        arg.substring(arg.indexOf(':') + 1).strip());
                case "count" -> new Check(kind, arg.substring(0, arg.indexOf(':')).strip(),
                        arg.substring(arg.indexOf(':') + 1).strip());
                default -> throw new IllegalArgumentException(where + ": unknown check " + kind);
            };
        }
    }

    @Override
    public String toString() {
        return name;
    }

    /** Reads the cases of a corpus file; a malformed case throws, naming its line. */
    static List<Http1Case> parse(String text) {
        List<Http1Case> out = new ArrayList<>();
        String section = "";
        Builder b = null;
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            String where = "http1-cases.txt:" + (n + 1);
            if (line.startsWith("### ")) {
                if (b != null) {
                    out.add(b.build());
                }
                b = new Builder(section + ": " + line.substring(4).strip(), where);
            } else if (line.startsWith("## ")) {
                if (b != null) {
                    out.add(b.build());
                    b = null;
                }
                section = line.substring(3).strip();
            } else if (b == null || line.isBlank() || line.startsWith("#")) {
                continue;
            } else if (line.startsWith("> ")) {
                b.request.writeBytes(unescape(line.substring(2), where));
            } else if (line.startsWith("< ")) {
                if (b.reply == null) {
                    b.reply = new ByteArrayOutputStream();
                }
                b.reply.writeBytes(unescape(line.substring(2), where));
            } else if (line.startsWith("= ")) {
                b.expect(line.substring(2).strip(), where);
            } else {
                b.sentence.append(b.sentence.isEmpty() ? "" : " ").append(line.strip());
            }
        }
        if (b != null) {
            out.add(b.build());
        }
        return out;
    }

    private static final class Builder {
        final String name;
        final String where;
        final StringBuilder sentence = new StringBuilder();
        final ByteArrayOutputStream request = new ByteArrayOutputStream();
        ByteArrayOutputStream reply;
        final List<Integer> statuses = new ArrayList<>();
        boolean closed;
        boolean head;
        boolean originCloses;
        boolean noResponse;
        List<Forwarded> forwarded;
        final List<Check> client = new ArrayList<>();

        Builder(String name, String where) {
            this.name = name;
            this.where = where;
        }

        void expect(String e, String at) {
            String word = e.split(" ", 2)[0];
            String rest = e.length() > word.length() ? e.substring(word.length() + 1).strip() : "";
            switch (word) {
                case "answer" -> {
                    // Ferry's own refusal: that status, then the connection closed, and nothing forwarded.
                    statuses.add(Integer.parseInt(rest));
                    closed = true;
                    client.add(new Check("has", "Connection", "close"));
                    if (reply == null && forwarded == null) {
                        forwarded = new ArrayList<>();
                    }
                }
                case "status" -> {
                    for (String s : rest.split(" +")) {
                        statuses.add(Integer.parseInt(s));
                    }
                }
                case "closed" -> closed = true;
                case "no-response" -> {
                    // The connection is closed without a response.
                    noResponse = true;
                    closed = true;
                }
                case "head" -> head = true;
                case "origin-closes" -> originCloses = true;
                case "nothing-forwarded" -> forwarded = new ArrayList<>();
                case "forwarded" -> {
                    if (forwarded == null) {
                        forwarded = new ArrayList<>();
                    }
                    String[] parts = rest.split(" ; ");
                    List<Check> checks = new ArrayList<>();
                    for (int i = 1; i < parts.length; i++) {
                        checks.add(Check.parse(parts[i], at));
                    }
                    forwarded.add(new Forwarded(parts[0].strip(), checks));
                }
                case "client" -> {
                    for (String part : rest.split(" ; ")) {
                        client.add(Check.parse(part, at));
                    }
                }
                default -> throw new IllegalArgumentException(at + ": unknown expectation " + e);
            }
        }

        Http1Case build() {
            if (request.size() == 0 && reply != null) {
                request.writeBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            }
            if (request.size() == 0 || statuses.isEmpty() == !noResponse || sentence.isEmpty()) {
                throw new IllegalArgumentException(where + ": a case needs a sentence, > bytes and an expectation");
            }
            if (statuses.isEmpty() && !noResponse && forwarded == null) {
                throw new IllegalArgumentException(where + ": nothing expected");
            }
            return new Http1Case(name, sentence.toString(), request.toByteArray(),
                    reply == null ? null : reply.toByteArray(), List.copyOf(statuses), closed, head, originCloses,
                    forwarded == null ? null : List.copyOf(forwarded), List.copyOf(client));
        }
    }

    /** Bytes of a {@code >} or {@code <} line: ISO-8859-1, with \r \n \t \0 \\ \xHH and {N*TEXT} (TEXT N times). */
    static byte[] unescape(String s, String where) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && s.indexOf('*', i) > i && s.indexOf('}', i) > s.indexOf('*', i)) {
                int star = s.indexOf('*', i);
                int end = s.indexOf('}', i);
                String count = s.substring(i + 1, star);
                if (count.matches("[0-9]+")) {
                    byte[] unit = unescape(s.substring(star + 1, end), where);
                    for (int k = Integer.parseInt(count); k > 0; k--) {
                        out.writeBytes(unit);
                    }
                    i = end;
                    continue;
                }
            }
            if (c != '\\') {
                out.write(c);
                continue;
            }
            if (++i == s.length()) {
                throw new IllegalArgumentException(where + ": a lone \\ at the end of the line");
            }
            switch (s.charAt(i)) {
                case 'r' -> out.write('\r');
                case 'n' -> out.write('\n');
                case 't' -> out.write('\t');
                case '0' -> out.write(0);
                case '\\' -> out.write('\\');
                case '{' -> out.write('{');
                case 'x' -> {
                    out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                default -> throw new IllegalArgumentException(where + ": unknown escape \\" + s.charAt(i));
            }
        }
        return out.toByteArray();
    }

    private static String unescapeText(String s) {
        return new String(unescape(s, "check"), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
