package dev.ferry.dns;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/** Record data in wire form (RFC 1035 section 3.3, RFC 2782 for SRV). Names are written uncompressed. */
final class Rdata {
    private Rdata() {
    }

    /** A (4 bytes) or AAAA (16 bytes). */
    static byte[] address(InetAddress address) {
        return address.getAddress();
    }

    /** A domain name such as CNAME and NS carry. */
    static byte[] name(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(name.length() + 2);
        writeName(out, name);
        return out.toByteArray();
    }

    /** TXT: the text as character-strings of at most 255 bytes each. */
    static byte[] txt(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + bytes.length / 255 + 1);
        int offset = 0;
        do {
            int n = Math.min(255, bytes.length - offset);
            out.write(n);
            out.write(bytes, offset, n);
            offset += n;
        } while (offset < bytes.length);
        return out.toByteArray();
    }

    /** SRV: priority, weight, port and target (RFC 2782). */
    static byte[] srv(int priority, int weight, int port, String target) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(target.length() + 8);
        writeShort(out, priority);
        writeShort(out, weight);
        writeShort(out, port);
        writeName(out, target);
        return out.toByteArray();
    }

    /** SOA: primary name server, responsible mailbox, serial and the four timers (seconds). */
    static byte[] soa(String primary, String mailbox, long serial, int refresh, int retry, int expire, int minimum) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(primary.length() + mailbox.length() + 24);
        writeName(out, primary);
        writeName(out, mailbox);
        writeInt(out, serial);
        writeInt(out, refresh);
        writeInt(out, retry);
        writeInt(out, expire);
        writeInt(out, minimum);
        return out.toByteArray();
    }

    private static void writeName(ByteArrayOutputStream out, String name) {
        if (!name.isEmpty()) {
            for (String label : name.split("\\.")) {
                byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
                out.write(bytes.length);
                out.write(bytes, 0, bytes.length);
            }
        }
        out.write(0);
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >>> 8 & 0xff);
        out.write(value & 0xff);
    }

    private static void writeInt(ByteArrayOutputStream out, long value) {
        writeShort(out, (int) (value >>> 16 & 0xffff));
        writeShort(out, (int) (value & 0xffff));
    }
}
