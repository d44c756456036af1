package dev.ferry.transport;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The little DER (ASN.1) Ferry needs to re-wrap PKCS#1 and SEC1 private keys as PKCS#8: writing a tag-length-value
 * and reading the elements of a SEQUENCE. Stateless; malformed input throws {@link IllegalArgumentException}.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int SEQUENCE = 0x30;
    /** {@code [0]} constructed, context-specific: the curve of a SEC1 key. */
    static final int CONTEXT_0 = 0xA0;

    /** One element: its tag and the whole encoding (tag, length and content). */
    record Element(int tag, byte[] encoded, int contentOffset) {
        byte[] content() {
            byte[] c = new byte[encoded.length - contentOffset];
            System.arraycopy(encoded, contentOffset, c, 0, c.length);
            return c;
        }
    }

    private Der() {
    }

    /** Tag, length and the concatenated {@code parts}. */
    static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            content.writeBytes(p);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = content.size();
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }

    /** The elements inside the SEQUENCE that {@code der} holds. */
    static List<Element> sequence(byte[] der) {
        Element outer = element(der, 0);
        if (outer.tag() != SEQUENCE) {
            throw new IllegalArgumentException("not a DER sequence");
        }
        byte[] content = outer.content();
        List<Element> elements = new ArrayList<>();
        for (int at = 0; at < content.length; ) {
            Element e = element(content, at);
            elements.add(e);
            at += e.encoded().length;
        }
        return elements;
    }

    /** The first element {@code der} holds (an explicitly tagged value's content). */
    static Element first(byte[] der) {
        return element(der, 0);
    }

    private static Element element(byte[] der, int at) {
        if (at + 2 > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        int tag = der[at] & 0xFF;
        int length = der[at + 1] & 0xFF;
        int header = 2;
        if (length >= 0x80) {
            int bytes = length & 0x7F;
            if (bytes == 0 || bytes > 3 || at + 2 + bytes > der.length) {
                throw new IllegalArgumentException("bad DER length");
            }
            length = 0;
            for (int i = 0; i < bytes; i++) {
                length = (length << 8) | (der[at + 2 + i] & 0xFF);
            }
            header += bytes;
        }
        if (at + header + length > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        byte[] encoded = new byte[header + length];
        System.arraycopy(der, at, encoded, 0, encoded.length);
        return new Element(tag, encoded, header);
    }
}
