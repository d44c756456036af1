package dev.ferry.proxy.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A plain-socket HTTP client for tests that need exact bytes on the wire, and a reader of responses. */
final class Raw implements AutoCloseable {
    /** A response as read from the wire. */
    record Response(int status, List<String[]> headers, String body) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }
    }

    final Socket socket;
    final InputStream in;

    Raw(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /** A client whose connection comes from {@code local} (null: any), e.g. 127.0.0.2 as a second source. */
    Raw(InetSocketAddress address, java.net.InetAddress local) throws IOException {
        socket = new Socket();
        if (local != null) {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.connect(address, 5_000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
    }

    Raw send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /** Reads one response; {@code head} true when it answers a HEAD request (no body). */
    Response read(boolean head) throws IOException {
        String line = Origin.readLine(in);
        if (line == null) {
            return null;
        }
        int status = Integer.parseInt(line.split(" ")[1]);
        List<String[]> headers = new ArrayList<>();
        for (String h; !(h = Origin.readLine(in)).isEmpty(); ) {
            int colon = h.indexOf(':');
            headers.add(new String[]{h.substring(0, colon), h.substring(colon + 1).trim()});
        }
        Response r = new Response(status, headers, "");
        if (head || status < 200 || status == 204 || status == 304) {
            return r;
        }
        String te = r.header("Transfer-Encoding");
        String cl = r.header("Content-Length");
        byte[] body;
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = Origin.readChunked(in);
        } else if (cl != null) {
            body = in.readNBytes(Integer.parseInt(cl));
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    Response read() throws IOException {
        return read(false);
    }

    /** True when the server closed the connection (end of stream or reset); false when it stayed open 10 s. */
    boolean closedByPeer() {
        try {
            return in.read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
