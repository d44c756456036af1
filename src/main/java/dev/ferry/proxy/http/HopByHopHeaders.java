package dev.ferry.proxy.http;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Removes the hop-by-hop fields of a message before it is forwarded (RFC 9110 7.6.1): {@code Connection} and every
 * field it names, {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Trailer} and {@code Upgrade}
 * (kept, with {@code Connection: upgrade}, on a protocol upgrade that is being passed through).
 *
 * <p>The framing fields {@code Content-Length} and {@code Transfer-Encoding}, and {@code Host}, are never removed
 * because {@code Connection} names them: the message is re-framed exactly as it was decoded, and dropping its length
 * would let a body be read as the next request (request smuggling).
 *
 * <p>Threading: stateless.
 */
final class HopByHopHeaders {
    private HopByHopHeaders() {
    }

    /**
     * Strips the hop-by-hop fields of {@code fields} in place. The names {@code Connection} lists are gathered first
     * (each once) and removed in one pass over the fields: linear in the size of the head, however many tokens the
     * list repeats.
     *
     * @param keepUpgrade true to keep {@code Upgrade} and leave {@code Connection: upgrade} (a passed-through upgrade)
     */
    static void strip(HeadFields fields, boolean keepUpgrade) {
        Set<String> named = null;
        for (int i = fields.indexOf("connection", 0); i >= 0; i = fields.indexOf("connection", i + 1)) {
            if (!fields.valueIsIgnoreCase(i, "keep-alive") && !fields.valueIsIgnoreCase(i, "close")) {
                if (named == null) {
                    named = new HashSet<>();
                }
                addNamed(named, fields.value(i), keepUpgrade);
            }
        }
        if (named != null) {
            fields.removeAll(named);
        }
        fields.remove("connection");
        fields.remove("keep-alive");
        fields.remove("proxy-connection");
        fields.remove("te");
        fields.remove("trailer");
        if (keepUpgrade) {
            fields.set("connection", "upgrade");
        } else {
            fields.remove("upgrade");
        }
    }

    /** Adds the field names of a {@code Connection} value to {@code named}, in lower case, but the protected ones. */
    private static void addNamed(Set<String> named, String line, boolean keepUpgrade) {
        int pos = 0;
        int n = line.length();
        while (pos < n) {
            int comma = line.indexOf(',', pos);
            int end = comma < 0 ? n : comma;
            String token = line.substring(pos, end).trim().toLowerCase(Locale.ROOT);
            if (!token.isEmpty() && !isProtected(token) && !(keepUpgrade && token.equals("upgrade"))) {
                named.add(token);
            }
            pos = end + 1;
        }
    }

    private static boolean isProtected(String lowerName) {
        return lowerName.equals("content-length") || lowerName.equals("transfer-encoding") || lowerName.equals("host");
    }
}
