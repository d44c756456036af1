package dev.ferry.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Bytes a {@code type: tcp} health check sends or expects ({@code send}/{@code send_binary},
 * {@code expect}/{@code expect_binary}): compared by content, so a reload that keeps them sees no change.
 * Immutable: the array is copied in and out.
 *
 * @param text whether the configuration wrote them as text (shown as text) or as hex digits (shown as hex)
 */
public record CheckBytes(byte[] bytes, boolean text) {
    public CheckBytes {
        bytes = bytes.clone();
    }

    /** Text as written (UTF-8). */
    public static CheckBytes ofText(String text) {
        return new CheckBytes(text.getBytes(StandardCharsets.UTF_8), true);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckBytes other && other.text == text && Arrays.equals(other.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** As a log line shows them: quoted text with control bytes escaped, or hex. */
    @Override
    public String toString() {
        if (!text) {
            return "0x" + HexFormat.of().formatHex(bytes);
        }
        StringBuilder s = new StringBuilder("'");
        for (char c : new String(bytes, StandardCharsets.UTF_8).toCharArray()) {
            switch (c) {
                case '\r' -> s.append("\\r");
                case '\n' -> s.append("\\n");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        s.append(String.format("\\x%02x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        return s.append('\'').toString();
    }
}
