package dev.ferry.proxy.http;

import dev.ferry.testing.TestServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small HTTP/1.1 origin server for tests, on blocking sockets (through {@link TestServer}): reads request heads and
 * bodies (Content-Length or chunked) and answers with whatever the test's {@link Handler} writes. Keep-alive: it
 * serves requests on a connection until the client closes or asks to close. Every request is recorded.
 */
final class Origin {
    /** A request as the origin received it. */
    record Request(String method, String target, String version, List<String[]> headers, byte[] body) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        List<String> all(String name) {
            List<String> v = new ArrayList<>();
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    v.add(h[1]);
                }
            }
            return v;
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Answers one request; returns false to close the connection afterwards. */
    @FunctionalInterface
    interface Handler {
        boolean handle(Request request, OutputStream out, Socket socket) throws IOException;
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();

    static TestServer start(String name, Handler handler) {
        return start(name, handler, new Origin());
    }

    static TestServer start(String name, Handler handler, Origin record) {
        return TestServer.start(name, socket -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                Request r = read(in, socket, out);
                if (r == null) {
                    return;
                }
                record.requests.add(r);
                if (!handler.handle(r, out, socket)) {
                    return;
                }
                out.flush();
                String conn = r.header("Connection");
                if (conn != null && conn.equalsIgnoreCase("close")) {
                    return;
                }
            }
        });
    }

    /** Answers every request with 200 and a text body naming the server (and keeps the connection). */
    static TestServer naming(String name) {
        return start(name, (r, out, s) -> {
            text(out, 200, name);
            return true;
        });
    }

    static void text(OutputStream out, int status, String body, String... headers) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
        for (String line : headers) {
            h.append(line).append("\r\n");
        }
        h.append("Content-Length: ").append(b.length).append("\r\n\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.flush();
    }

    /** Reads one request, or null at a clean end of stream. Answers {@code Expect: 100-continue} itself. */
    static Request read(InputStream in, Socket socket, OutputStream out) throws IOException {
        String line = readLine(in);
        if (line == null) {
            return null;
        }
        String[] parts = line.split(" ", 3);
        List<String[]> headers = new ArrayList<>();
        for (String h; !(h = readLine(in)).isEmpty(); ) {
            int colon = h.indexOf(':');
            headers.add(new String[]{h.substring(0, colon), h.substring(colon + 1).trim()});
        }
        Request head = new Request(parts[0], parts[1], parts[2], headers, new byte[0]);
        String expect = head.header("Expect");
        if (expect != null && expect.equalsIgnoreCase("100-continue")) {
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
        byte[] body;
        String te = head.header("Transfer-Encoding");
        String cl = head.header("Content-Length");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked(in);
        } else if (cl != null) {
            body = in.readNBytes(Integer.parseInt(cl));
        } else {
            body = new byte[0];
        }
        return new Request(parts[0], parts[1], parts[2], headers, body);
    }

    static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = readLine(in);
            int semi = size.indexOf(';');
            int n = Integer.parseInt(semi < 0 ? size.trim() : size.substring(0, semi).trim(), 16);
            if (n == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(n));
            readLine(in);
        }
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = s.length();
                return len > 0 && s.charAt(len - 1) == '\r' ? s.substring(0, len - 1) : s.toString();
            }
            s.append((char) c);
        }
        return s.isEmpty() ? null : s.toString();
    }
}
