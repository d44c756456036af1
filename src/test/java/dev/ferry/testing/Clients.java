package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Plain blocking socket clients for tests. */
public final class Clients {
    private Clients() {
    }

    public static Socket connect(InetSocketAddress address) {
        try {
            Socket s = new Socket();
            s.connect(address, 5_000);
            s.setSoTimeout(10_000);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects, reads everything until the server closes, and returns it as text. */
    public static String readAll(InetSocketAddress address) {
        try (Socket s = connect(address)) {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
