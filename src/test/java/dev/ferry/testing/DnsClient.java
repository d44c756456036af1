package dev.ferry.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.AbstractDnsOptPseudoRrRecord;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small blocking DNS client for tests, built on Netty's DNS codec: sends one query over UDP or TCP and returns the
 * response as plain values ({@link Reply}), with record data rendered as dig shows it.
 */
public final class DnsClient {
    private static final AtomicInteger IDS = new AtomicInteger(1);

    private final InetSocketAddress server;

    public DnsClient(InetSocketAddress server) {
        this.server = server;
    }

    /** One record of a reply: its data rendered as dig's +short would (e.g. "10 5 5060 sip.example.net."). */
    public record Rr(String name, String type, long ttl, String data) {
    }

    /** A decoded response. */
    public record Reply(int id, String rcode, boolean authoritative, boolean truncated, List<Rr> answers,
                        List<Rr> authority, List<Rr> additional) {
        public List<String> answerData() {
            return answers.stream().map(Rr::data).toList();
        }
    }

    public Reply udp(String name, DnsRecordType type) {
        return udp(name, type, -1);
    }

    /** Over UDP; {@code ednsPayload} &gt;= 0 adds an OPT record stating that payload size. */
    public Reply udp(String name, DnsRecordType type, int ednsPayload) {
        return decode(exchangeUdp(encode(name, type, ednsPayload)));
    }

    /** Over TCP, one query on a fresh connection. */
    public Reply tcp(String name, DnsRecordType type) {
        byte[] query = encode(name, type, -1);
        try (Socket s = new Socket()) {
            s.connect(server, 5_000);
            s.setSoTimeout(5_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(query.length);
            out.write(query);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] reply = new byte[in.readUnsignedShort()];
            in.readFully(reply);
            return decode(reply);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a stub resolver does: UDP first, and TCP again when the UDP answer came truncated. */
    public Reply resolve(String name, DnsRecordType type) {
        Reply reply = udp(name, type);
        return reply.truncated() ? tcp(name, type) : reply;
    }

    /** Sends raw bytes over UDP and returns the raw reply, or null when none comes within {@code timeoutMillis}. */
    public byte[] raw(byte[] datagram, int timeoutMillis) {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.setSoTimeout(timeoutMillis);
            socket.send(new java.net.DatagramPacket(datagram, datagram.length, server));
            java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[65_535], 65_535);
            socket.receive(in);
            return java.util.Arrays.copyOf(in.getData(), in.getLength());
        } catch (java.net.SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes a raw reply (e.g. from {@link #raw}). */
    public static Reply decode(byte[] bytes) {
        EmbeddedChannel decoder = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        try {
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);
            decoder.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(bytes), any, any));
            DnsResponse response = decoder.readInbound();
            try {
                return new Reply(response.id(), response.code().toString().replaceFirst("\\(.*", "").toUpperCase(java.util.Locale.ROOT),
                        response.isAuthoritativeAnswer(), response.isTruncated(), section(response, DnsSection.ANSWER),
                        section(response, DnsSection.AUTHORITY), section(response, DnsSection.ADDITIONAL));
            } finally {
                response.release();
            }
        } finally {
            decoder.finishAndReleaseAll();
        }
    }

    private byte[] exchangeUdp(byte[] query) {
        byte[] reply = raw(query, 5_000);
        if (reply == null) {
            throw new UncheckedIOException(new IOException("no DNS reply from " + server + " within 5 s"));
        }
        return reply;
    }

    private byte[] encode(String name, DnsRecordType type, int ednsPayload) {
        EmbeddedChannel encoder = new EmbeddedChannel(new DatagramDnsQueryEncoder());
        try {
            DatagramDnsQuery query = new DatagramDnsQuery(null, server, IDS.getAndIncrement() & 0xffff);
            query.setRecursionDesired(true);
            query.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, type));
            if (ednsPayload >= 0) {
                query.addRecord(DnsSection.ADDITIONAL, new Opt(ednsPayload));
            }
            encoder.writeOutbound(query);
            DatagramPacket packet = encoder.readOutbound();
            try {
                return ByteBufUtil.getBytes(packet.content());
            } finally {
                packet.release();
            }
        } finally {
            encoder.finishAndReleaseAll();
        }
    }

    private static final class Opt extends AbstractDnsOptPseudoRrRecord {
        Opt(int payload) {
            super(payload, 0, 0);
        }
    }

    private static List<Rr> section(DnsResponse response, DnsSection section) {
        List<Rr> records = new ArrayList<>();
        for (int i = 0, n = response.count(section); i < n; i++) {
            DnsRecord r = response.recordAt(section, i);
            String data = r instanceof DnsRawRecord raw ? render(r.type(), raw.content()) : "";
            records.add(new Rr(r.name(), r.type().name(), r.timeToLive(), data));
        }
        return records;
    }

    private static String render(DnsRecordType type, ByteBuf content) {
        ByteBuf in = content.duplicate();
        try {
            if (type.equals(DnsRecordType.A) || type.equals(DnsRecordType.AAAA)) {
                return InetAddress.getByAddress(ByteBufUtil.getBytes(in)).getHostAddress();
            }
            if (type.equals(DnsRecordType.SRV)) {
                return in.readUnsignedShort() + " " + in.readUnsignedShort() + " " + in.readUnsignedShort() + " "
                        + name(in);
            }
            if (type.equals(DnsRecordType.CNAME) || type.equals(DnsRecordType.NS)) {
                return name(in);
            }
            if (type.equals(DnsRecordType.SOA)) {
                return name(in) + " " + name(in) + " " + in.readUnsignedInt() + " " + in.readInt() + " "
                        + in.readInt() + " " + in.readInt() + " " + in.readInt();
            }
            if (type.equals(DnsRecordType.TXT)) {
                StringBuilder text = new StringBuilder();
                while (in.isReadable()) {
                    int n = in.readUnsignedByte();
                    text.append(in.readCharSequence(n, java.nio.charset.StandardCharsets.UTF_8));
                }
                return text.toString();
            }
            return ByteBufUtil.hexDump(in);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A name in record data, following compression pointers: Netty's decoder hands SOA and SRV data over as a view
     * of the whole message, so a pointer's absolute offset can be read in it (CNAME and NS come decompressed).
     */
    private static String name(ByteBuf in) {
        StringBuilder name = new StringBuilder();
        for (int n; (n = in.readUnsignedByte()) != 0; ) {
            if ((n & 0xc0) == 0xc0) {
                ByteBuf at = in.duplicate();
                at.readerIndex((n & 0x3f) << 8 | in.readUnsignedByte());
                return name + name(at);
            }
            name.append(in.readCharSequence(n, java.nio.charset.StandardCharsets.US_ASCII)).append('.');
        }
        return name.toString();
    }
}
