package dev.ferry.backend;

import dev.ferry.config.StickyConfig;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The values of a backend's sticky cookie ({@code sticky:}): made, signed and checked, without HTTP. A value names a
 * server by an opaque id, the first 8 bytes of HMAC-SHA256(key, backend and server name): it shows neither the
 * server's address nor its name, and only a holder of the key can make the id of a given server. Every value is
 * signed (HMAC-SHA256 truncated to 96 bits, over the backend's name and the value's bytes), so a value edited,
 * made up, or taken from another backend is refused; {@link #resolve} then answers null and the scheduler picks.
 *
 * <p>Forms, in URL-safe base64 without padding:
 * <ul>
 *   <li>insert mode: {@code id(8) first-seen(4) last-seen(4) mac(12)}, 38 characters; the times are seconds of the
 *       epoch, so that {@code max_age} (HAProxy {@code maxlife}) and {@code idle} ({@code maxidle}) hold however many
 *       instances answer the client, as long as they share the key ({@code secret_file}) and roughly the time;</li>
 *   <li>prefix and passive modes: {@code id(8) mac(12)}, 27 characters, the same for every client of a server.</li>
 * </ul>
 *
 * <p>The key comes from {@code secret_file} (several instances then agree on every value) or, without one, from
 * {@link java.security.SecureRandom} when the backend's stickiness is built: a restart then sends every client to the
 * scheduler once. A reload keeps the key unless the file (or its content) changed.
 *
 * <p>Threading: any event loop, lock-free. One {@link Mac} per thread, and values already verified are not checked
 * again ({@link VerifiedValues}); the id index is rebuilt (by whichever loop
 * sees the change first) when the backend's server list changes.
 */
public final class StickyCookie {
    static final int ID_BYTES = 8;
    private static final int TIME_BYTES = 4;
    private static final int MAC_BYTES = 12;
    static final int INSERT_BYTES = ID_BYTES + 2 * TIME_BYTES + MAC_BYTES;
    static final int ID_ONLY_BYTES = ID_BYTES + MAC_BYTES;
    /** A first-seen time this far ahead of the clock is refused (instances whose clocks differ a little agree). */
    private static final long FUTURE_SLACK_SECONDS = 60;
    private static final Base64.Encoder ENCODE = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODE = Base64.getUrlDecoder();

    /**
     * A cookie value that names an available server.
     *
     * @param firstSeen when the value was first set (seconds of the epoch); 0 in prefix and passive modes
     * @param lastSeen  when it was last set; 0 in prefix and passive modes
     */
    public record Hit(Server server, long firstSeen, long lastSeen) {
    }

    /** The servers' ids and id-only values, made once per server list (not per request). */
    private record Index(List<Server> servers, Map<Long, Server> byId, Map<Server, Long> ids,
                         Map<Server, String> idValues) {
    }

    private final StickyConfig config;
    private final Backend backend;
    private final byte[] key;
    private final byte[] context;
    private final Clock clock;
    private final ThreadLocal<Mac> macs;
    private final VerifiedValues verified = new VerifiedValues();
    private volatile Index index = new Index(null, Map.of(), Map.of(), Map.of());

    StickyCookie(StickyConfig config, Backend backend, byte[] key, Clock clock) {
        this.config = config;
        this.backend = backend;
        this.key = key.clone();
        this.context = (backend.name() + "\0").getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    public StickyConfig config() {
        return config;
    }

    /** Whether {@code other} signs with the same key (a reload may keep the cookies valid). */
    boolean sameKey(byte[] other) {
        return MessageDigest.isEqual(key, other);
    }

    byte[] key() {
        return key.clone();
    }

    /** Seconds of the epoch on this stickiness's clock. */
    public long nowSeconds() {
        return clock.millis() / 1000;
    }

    /**
     * The server a cookie value names, with its times: null when the value is malformed, its signature wrong, it
     * expired ({@code max_age}, {@code idle}), or it names no server of the backend now (removed). Whether that
     * server may take the request (down, maintenance) is the caller's question.
     */
    public Hit resolve(String value) {
        if (value == null || (value.length() != encodedLength(INSERT_BYTES)
                && value.length() != encodedLength(ID_ONLY_BYTES))) {
            return null;
        }
        VerifiedValues.Entry known = verified.get(value);
        if (known == null) {
            known = verify(value);
            if (known == null) {
                return null;
            }
        }
        long first = known.firstSeen();
        long last = known.lastSeen();
        if (known.value().length() == encodedLength(INSERT_BYTES)) {
            long now = nowSeconds();
            if (first > now + FUTURE_SLACK_SECONDS || last < first) {
                return null;
            }
            if (!config.maxAge().isZero() && now - first >= config.maxAge().toSeconds()) {
                return null;
            }
            if (!config.idle().isZero() && now - last >= config.idle().toSeconds()) {
                return null;
            }
        }
        long id = known.id();
        Server server = index().byId().get(id);
        return server == null ? null : new Hit(server, first, last);
    }

    /** An insert-mode value for {@code server}, first set at {@code firstSeen} and set again now. */
    public String insertValue(Server server, long firstSeen) {
        long now = nowSeconds();
        Long known = index().ids().get(server);
        ByteBuffer b = ByteBuffer.allocate(INSERT_BYTES);
        b.putLong(known != null ? known : id(server)).putInt((int) firstSeen).putInt((int) now);
        return sign(b);
    }

    /** The prefix- and passive-mode value of {@code server}: its id, signed. */
    public String idValue(Server server) {
        String known = index().idValues().get(server);
        return known != null ? known : makeIdValue(server);
    }

    private String makeIdValue(Server server) {
        ByteBuffer b = ByteBuffer.allocate(ID_ONLY_BYTES);
        b.putLong(id(server));
        return sign(b);
    }

    /** Whether a value of the form an insert-mode or id-only value has (a prefix to strip), signed or not. */
    public static boolean looksLikeValue(String s) {
        if (s.length() != encodedLength(INSERT_BYTES) && s.length() != encodedLength(ID_ONLY_BYTES)) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_'))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether an insert-mode cookie that still holds should be set again now, so that {@code idle} counts from the
     * last request rather than the first: when a quarter of {@code idle} has passed since it was last set (at most one
     * Set-Cookie per quarter, not one per response).
     */
    public boolean wantsRefresh(Hit hit) {
        if (config.idle().isZero()) {
            return false;
        }
        long quarter = Math.max(1, config.idle().toSeconds() / 4);
        return nowSeconds() - hit.lastSeen() >= quarter;
    }

    /** The {@code Set-Cookie} value of an insert-mode cookie holding {@code value}, with the configured attributes. */
    public String setCookie(String value) {
        StringBuilder sb = new StringBuilder(96).append(config.cookie()).append('=').append(value)
                .append("; Path=").append(config.path());
        config.domain().ifPresent(d -> sb.append("; Domain=").append(d));
        if (!config.maxAge().isZero()) {
            sb.append("; Max-Age=").append(config.maxAge().toSeconds());
        }
        if (config.httponly()) {
            sb.append("; HttpOnly");
        }
        if (config.secure()) {
            sb.append("; Secure");
        }
        config.samesite().ifPresent(s -> sb.append("; SameSite=").append(s.attribute()));
        return sb.toString();
    }

    /** The opaque id of {@code server} under this key. */
    long id(Server server) {
        Mac mac = macs.get();
        mac.update("id\0".getBytes(StandardCharsets.US_ASCII));
        mac.update(context);
        return ByteBuffer.wrap(mac.doFinal(server.name().getBytes(StandardCharsets.UTF_8))).getLong();
    }

    private Index index() {
        Index i = index;
        List<Server> now = backend.servers();
        if (i.servers() != now) {
            Map<Long, Server> byId = new HashMap<>();
            Map<Server, Long> ids = new java.util.IdentityHashMap<>();
            Map<Server, String> idValues = new java.util.IdentityHashMap<>();
            for (Server s : now) {
                long id = id(s);
                byId.put(id, s);
                ids.put(s, id);
                idValues.put(s, makeIdValue(s));
            }
            i = new Index(now, Map.copyOf(byId), ids, idValues);
            index = i;
        }
        return i;
    }

    private String sign(ByteBuffer b) {
        byte[] raw = b.array();
        int signed = raw.length - MAC_BYTES;
        System.arraycopy(mac(raw, signed), 0, raw, signed, MAC_BYTES);
        return ENCODE.encodeToString(raw);
    }

    /** Decodes {@code value} and checks its signature and form; the verdict is remembered ({@link VerifiedValues}). */
    private VerifiedValues.Entry verify(String value) {
        byte[] raw;
        try {
            raw = DECODE.decode(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
        boolean timed = raw.length == INSERT_BYTES;
        if (timed != (config.mode() == StickyConfig.Mode.INSERT)) {
            return null;
        }
        int signed = raw.length - MAC_BYTES;
        byte[] expected = mac(raw, signed);
        if (!MessageDigest.isEqual(expected, java.util.Arrays.copyOfRange(raw, signed, raw.length))) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        long id = b.getLong();
        long first = timed ? Integer.toUnsignedLong(b.getInt()) : 0;
        long last = timed ? Integer.toUnsignedLong(b.getInt()) : 0;
        return verified.put(value, id, first, last);
    }

    private byte[] mac(byte[] raw, int length) {
        Mac mac = macs.get();
        mac.update("ck\0".getBytes(StandardCharsets.US_ASCII));
        mac.update(context);
        mac.update(raw, 0, length);
        return java.util.Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static int encodedLength(int bytes) {
        return (bytes * 8 + 5) / 6;
    }
}
