package dev.ferry.director.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TCP connection from the lab's client namespace to a VIP's greeter service ({@link LabServer#TCP}), with the
 * greeting: the name of the real server that took it.
 */
record Greeted(Socket socket, BufferedReader in, String server) {

    /** Connects from {@code lab}'s client namespace to the greeter on {@code vip}; the caller closes the socket. */
    static Greeted connect(NetnsLab lab, String vip) throws Exception {
        // Bound at once, so that its descriptor is made on the namespace's thread (new Socket() alone makes it only
        // when connecting, on whatever thread that is).
        Socket s = Netns.call(lab.ns("client"), () -> {
            Socket b = new Socket();
            b.bind(null);
            return b;
        });
        try {
            s.setSoTimeout(10_000);
            s.connect(new InetSocketAddress(vip, LabServer.TCP), 5_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            return new Greeted(s, in, in.readLine());
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Sends {@code bytes}, half-closes, and returns what the server says after the client's FIN. */
    String finish(byte[] bytes) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(bytes);
        out.flush();
        socket.shutdownOutput();
        String bye = in.readLine();
        assertThat(in.read()).as("the server closes after its answer").isEqualTo(-1);
        return bye;
    }
}
