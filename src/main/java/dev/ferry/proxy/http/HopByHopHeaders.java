package dev.ferry.proxy.http;

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
     * Strips the hop-by-hop fields of {@code fields} in place.
     *
     * @param keepUpgrade true to keep {@code Upgrade} and leave {@code Connection: upgrade} (a passed-through upgrade)
     */
    static void strip(HeadFields fields, boolean keepUpgrade) {
        for (int i = fields.indexOf("connection", 0); i >= 0; i = fields.indexOf("connection", i + 1)) {
            if (!fields.valueIsIgnoreCase(i, "keep-alive") && !fields.valueIsIgnoreCase(i, "close")) {
                removeNamed(fields, fields.value(i), keepUpgrade);
            }
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

    private static void removeNamed(HeadFields fields, String line, boolean keepUpgrade) {
        int pos = 0;
        int n = line.length();
        while (pos < n) {
            int comma = line.indexOf(',', pos);
            int end = comma < 0 ? n : comma;
            String token = line.substring(pos, end).trim();
            if (!token.isEmpty() && !isProtected(token) && !(keepUpgrade && token.equalsIgnoreCase("upgrade"))) {
                fields.remove(token);
            }
            pos = end + 1;
        }
    }

    private static boolean isProtected(String name) {
        return name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding")
                || name.equalsIgnoreCase("host");
    }
}
