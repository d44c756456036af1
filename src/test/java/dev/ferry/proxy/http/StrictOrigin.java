package dev.ferry.proxy.http;

import dev.ferry.testing.TestServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * An origin for the HTTP/1 corpus ({@link Http1CorpusTest}) that reads what Ferry forwards the strict way: every line
 * ends in CRLF, the request line is {@code token SP target SP HTTP/1.1}, field names are tokens right before their
 * colon, values hold no control characters, and the body is framed by exactly one of a {@code Content-Length} of
 * digits or {@code Transfer-Encoding: chunked} with well-formed chunks. Each request is recorded as read, with its
 * bytes; anything it cannot read that way is recorded as a {@link #problems problem} (Ferry forwarded bytes that do
 * not re-parse to one message) and the connection closed. It answers each request with {@code reply}, or with 200
 * and the body {@code ok} when none is given.
 */
final class StrictOrigin {
    /** A request as read: its head's fields in order, its body de-chunked, and its bytes as they came. */
    record Request(String method, String target, List<String[]> headers, byte[] body, String wire) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        int count(String name) {
            int n = 0;
            for (String[] h : headers) {
                n += h[0].equalsIgnoreCase(name) ? 1 : 0;
            }
            return n;
        }
    }

    /**
     * How a message that ends early is recorded: what Ferry does when it finds a request's body broken after it
     * forwarded the head (the origin never gets a whole message).
     */
    static final String CUT_OFF = "cut off";

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
    private static final Pattern REQUEST_LINE = Pattern.compile("([!#$%&'*+\\-.^_`|~0-9A-Za-z]+) ([!-~]+) HTTP/1\\.1");

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final List<String> problems = new CopyOnWriteArrayList<>();
    private final TestServer server;

    /** @param reply the bytes written for each request, or null for a 200 with the body "ok" */
    StrictOrigin(byte[] reply, boolean closeAfterReply) {
        server = TestServer.start("strict", socket -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            for (int n = 0; n < 20; n++) {
                Request r;
                try {
                    r = read(in);
                } catch (Unreadable e) {
                    problems.add(e.getMessage());
                    return;
                }
                if (r == null) {
                    return;
                }
                requests.add(r);
                out.write(reply != null ? reply
                        : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                if (closeAfterReply) {
                    return;
                }
            }
        });
    }

    TestServer server() {
        return server;
    }

    private static final class Unreadable extends IOException {
        Unreadable(String what, ByteArrayOutputStream seen) {
            super(what + " in " + escape(seen.toString(StandardCharsets.ISO_8859_1)));
        }
    }

    /** Reads one request strictly; null at a clean end of stream before any byte of it. */
    private static Request read(InputStream in) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        String line = line(in, seen);
        if (line == null) {
            return null;
        }
        var m = REQUEST_LINE.matcher(line);
        if (!m.matches()) {
            throw new Unreadable("malformed request line", seen);
        }
        List<String[]> headers = new ArrayList<>();
        for (String h; !(h = lineOrCut(in, seen)).isEmpty(); ) {
            int colon = h.indexOf(':');
            if (colon <= 0 || !TOKEN.matcher(h.substring(0, colon)).matches()) {
                throw new Unreadable("malformed field line", seen);
            }
            String value = h.substring(colon + 1).strip();
            for (char c : value.toCharArray()) {
                if ((c < ' ' && c != '\t') || c == 0x7f) {
                    throw new Unreadable("control character in a field value", seen);
                }
            }
            headers.add(new String[]{h.substring(0, colon), value});
        }
        Request head = new Request(m.group(1), m.group(2), headers, new byte[0], "");
        int te = head.count("transfer-encoding");
        int cl = head.count("content-length");
        byte[] body;
        if (te > 0) {
            if (te > 1 || cl > 0 || !head.header("transfer-encoding").equals("chunked")) {
                throw new Unreadable("framing other than one Transfer-Encoding: chunked", seen);
            }
            body = chunked(in, seen);
        } else if (cl > 0) {
            String v = head.header("content-length");
            if (cl > 1 || !v.matches("[0-9]{1,18}") || Long.parseLong(v) > Integer.MAX_VALUE) {
                throw new Unreadable("Content-Length other than one number", seen);
            }
            body = in.readNBytes(Integer.parseInt(v));
            seen.write(body);
            if (body.length < Integer.parseInt(v)) {
                throw new Unreadable(CUT_OFF, seen);
            }
        } else {
            body = new byte[0];
        }
        return new Request(m.group(1), m.group(2), headers, body, seen.toString(StandardCharsets.ISO_8859_1));
    }

    private static byte[] chunked(InputStream in, ByteArrayOutputStream seen) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int chunks = 0; chunks < 1000; chunks++) {
            String size = line(in, seen);
            if (size == null) {
                throw new Unreadable(CUT_OFF, seen);
            }
            if (!size.matches("[0-9a-fA-F]{1,8}")) {
                throw new Unreadable("malformed chunk size (Ferry writes no extensions)", seen);
            }
            int n = Integer.parseInt(size, 16);
            if (n == 0) {
                for (String t; !(t = lineOrCut(in, seen)).isEmpty(); ) {
                    int colon = t.indexOf(':');
                    if (colon <= 0 || !TOKEN.matcher(t.substring(0, colon)).matches()) {
                        throw new Unreadable("malformed trailer field", seen);
                    }
                }
                return body.toByteArray();
            }
            byte[] data = in.readNBytes(n);
            seen.write(data);
            body.write(data);
            if (data.length < n) {
                throw new Unreadable(CUT_OFF, seen);
            }
            String end = line(in, seen);
            if (end == null) {
                throw new Unreadable(CUT_OFF, seen);
            }
            if (!end.isEmpty()) {
                throw new Unreadable("chunk data not followed by CRLF", seen);
            }
        }
        throw new Unreadable("more than 1000 chunks", seen);
    }

    /** A line that must come: the end of stream before it means the message was cut off. */
    private static String lineOrCut(InputStream in, ByteArrayOutputStream seen) throws IOException {
        String line = line(in, seen);
        if (line == null) {
            throw new Unreadable(CUT_OFF, seen);
        }
        return line;
    }

    /** A line without its CRLF; null at end of stream before it; a bare CR or LF is unreadable. */
    private static String line(InputStream in, ByteArrayOutputStream seen) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c; (c = in.read()) >= 0; ) {
            seen.write(c);
            if (c == '\r') {
                int lf = in.read();
                if (lf >= 0) {
                    seen.write(lf);
                }
                if (lf != '\n') {
                    throw new Unreadable("bare CR", seen);
                }
                return s.toString();
            }
            if (c == '\n') {
                throw new Unreadable("bare LF", seen);
            }
            s.append((char) c);
        }
        if (!s.isEmpty()) {
            throw new Unreadable(CUT_OFF, seen);
        }
        return null;
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < ' ' || c >= 0x7f) {
                        b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
