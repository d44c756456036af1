package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The DNS fuzz target's way into the responder (package-private): {@link Responder#respond} over UDP and TCP, and
 * {@link TcpQueries} (the 2-byte length framing) in an {@link EmbeddedChannel}, for one fixed zone
 * ({@link #CONFIG}). Every call builds a fresh responder, so the weighted rotations of backend-backed records start
 * from the same state and two runs over the same queries give the same answers.
 *
 * <p>Everything here releases what it was given: the fuzz targets run with the leak detector at PARANOID.
 */
public final class DnsFuzzHarness {
    /** The zone the fuzzed queries are asked against. */
    public static final String CONFIG = """
            backends:
              - name: four
                servers:
                  - { name: one, address: 127.0.0.21:8080 }
                  - { name: two, address: 127.0.0.22:8080, weight: 3 }
                  - { name: three, address: "[2001:db8::3]:8080" }
              - name: empty
                servers:
                  - { name: idle, address: 127.0.0.30:8080, weight: 0 }
            dns:
              listen: 127.0.0.1:0
              zones:
                - origin: example.com
                  records:
                    - { name: www, type: A, backend: four, answers: 2 }
                    - { name: www, type: AAAA, backend: four }
                    - { name: _http._tcp.www, type: SRV, backend: four }
                    - { name: none, type: A, backend: empty }
                    - { name: mail, type: A, value: 192.0.2.25 }
                    - { name: text.a.b, type: TXT, value: "hello fuzz" }
                    - { name: alias, type: CNAME, value: mail.example.com }
                    - { name: out, type: CNAME, value: elsewhere.example.net }
                - origin: sub.example.com
                  records:
                    - { name: host, type: A, value: 192.0.2.26 }
            """;
    private static final FerryConfig PARSED;
    private static final Map<String, Backend> BACKENDS = new HashMap<>();
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress SELF = new InetSocketAddress("127.0.0.1", 53);

    static {
        try {
            PARSED = ConfigLoader.parse(CONFIG, Path.of("<fuzz>"));
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
        for (BackendConfig b : PARSED.backends()) {
            BACKENDS.put(b.name(), new Backend(b));
        }
    }

    private DnsFuzzHarness() {
    }

    private static Responder responder() {
        return new Responder(PARSED.dns().orElseThrow(), BACKENDS, 1, new DnsStats());
    }

    /** The answers one fresh responder gives to {@code messages}, in order; null where it sends nothing. */
    public static List<byte[]> answers(List<byte[]> messages, boolean tcp) {
        Responder responder = responder();
        List<byte[]> answers = new ArrayList<>();
        for (byte[] m : messages) {
            ByteBuf in = Unpooled.copiedBuffer(m);
            try {
                ByteBuf out = responder.respond(in, CLIENT, SELF, tcp, ByteBufAllocator.DEFAULT);
                answers.add(out == null ? null : bytes(out));
            } finally {
                in.release();
            }
        }
        return answers;
    }

    /** What a TCP connection sent back for some bytes read, and whether it is still open. */
    public record TcpOutcome(byte[] sent, boolean open) {
    }

    /** Feeds {@code stream} to a fresh TCP connection's {@link TcpQueries} in two reads split at {@code split}. */
    public static TcpOutcome tcp(byte[] stream, int split) {
        Responder responder = responder();
        EmbeddedChannel ch = new TcpChannel();
        ch.pipeline().addLast(new TcpQueries(() -> responder, new DnsStats()));
        ch.pipeline().fireChannelActive();
        try {
            int at = Math.max(0, Math.min(split, stream.length));
            ch.writeInbound(Unpooled.copiedBuffer(stream, 0, at));
            ch.writeInbound(Unpooled.copiedBuffer(stream, at, stream.length - at));
            ch.runPendingTasks();
            ch.checkException();
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            Object o;
            while ((o = ch.readOutbound()) != null) {
                sent.writeBytes(bytes((ByteBuf) o));
            }
            return new TcpOutcome(sent.toByteArray(), ch.isOpen());
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** An embedded channel with the socket addresses a TCP connection has (the responder reads them). */
    private static final class TcpChannel extends EmbeddedChannel {
        @Override
        protected SocketAddress localAddress0() {
            return SELF;
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return CLIENT;
        }
    }

    private static byte[] bytes(ByteBuf b) {
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }
}
