package dev.ferry.backend;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sticky cookie's values (issue 20 item 1) on a hand-moved clock: a value names its server and nothing else can
 * be read from it; an edited id, a wrong signature, another server's id signed with a guess, another backend's
 * value and another key's value are all refused; {@code max_age} and {@code idle} end a value; refreshes come once
 * a quarter of {@code idle}; a key from {@code secret_file} makes the same values in two backends built apart.
 */
class StickyCookieTest {
    private final ManualClock clock = new ManualClock();

    private static FerryConfig config(String sticky) throws Exception {
        return ConfigLoader.parse("""
                frontends: [ { name: f, listen: 127.0.0.1:0, mode: http, backend: app } ]
                backends:
                  - name: app
                    sticky: %s
                    servers: [ { name: alpha, address: 127.0.0.1:1 }, { name: beta, address: 127.0.0.1:2 } ]
                """.formatted(sticky), Path.of("sticky.yaml"));
    }

    private Backend backend(String sticky) throws Exception {
        return new Backend(config(sticky).backends().getFirst(), clock);
    }

    private static StickyCookie cookie(Backend b) {
        return b.affinity().cookie().orElseThrow();
    }

    private static String reencode(byte[] raw) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    @Test
    void aValueNamesItsServerAndShowsNeitherItsNameNorItsAddress() throws Exception {
        Backend b = backend("{ cookie: SRV }");
        StickyCookie c = cookie(b);
        Server alpha = b.server("alpha").orElseThrow();
        Server beta = b.server("beta").orElseThrow();
        String va = c.insertValue(alpha, c.nowSeconds());
        String vb = c.insertValue(beta, c.nowSeconds());
        assertThat(c.resolve(va).server()).isSameAs(alpha);
        assertThat(c.resolve(vb).server()).isSameAs(beta);
        assertThat(va).hasSize(38).doesNotContain("alpha").doesNotContain("127");
        String decoded = new String(Base64.getUrlDecoder().decode(va), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(decoded).doesNotContain("alpha").doesNotContain("127.0.0.1");
        assertThat(c.setCookie(va)).isEqualTo("SRV=" + va + "; Path=/; HttpOnly");
    }

    @Test
    void editedForgedAndForeignValuesAreRefused() throws Exception {
        Backend b = backend("{ cookie: SRV }");
        StickyCookie c = cookie(b);
        Server alpha = b.server("alpha").orElseThrow();
        Server beta = b.server("beta").orElseThrow();
        String va = c.insertValue(alpha, c.nowSeconds());
        byte[] raw = Base64.getUrlDecoder().decode(va);

        // The id edited by one bit: the signature no longer matches.
        byte[] edited = raw.clone();
        edited[0] ^= 1;
        assertThat(c.resolve(reencode(edited))).isNull();
        // The signature edited.
        byte[] badMac = raw.clone();
        badMac[raw.length - 1] ^= 0x40;
        assertThat(c.resolve(reencode(badMac))).isNull();
        // Another server's (real) id put in, the old signature kept or a guessed one: refused.
        byte[] other = raw.clone();
        ByteBuffer.wrap(other).putLong(0, c.id(beta));
        assertThat(c.resolve(reencode(other))).isNull();
        for (int i = 16; i < other.length; i++) {
            other[i] = (byte) i;
        }
        assertThat(c.resolve(reencode(other))).isNull();
        // The times edited (to stretch max_age): refused.
        byte[] older = raw.clone();
        ByteBuffer.wrap(older).putInt(8, 1);
        assertThat(c.resolve(reencode(older))).isNull();
        // Garbage, the wrong length, not base64.
        assertThat(c.resolve("")).isNull();
        assertThat(c.resolve("alpha")).isNull();
        assertThat(c.resolve(va.substring(1))).isNull();
        assertThat(c.resolve("!".repeat(38))).isNull();
        // The same server name in another backend (own key, own context) or another key: refused.
        Backend elsewhere = backend("{ cookie: SRV }");
        assertThat(cookie(elsewhere).resolve(va)).isNull();
        assertThat(c.resolve(va).server()).isSameAs(alpha);
    }

    @Test
    void aValueVerifiedOnceLendsItsVerdictToNoOtherValue() throws Exception {
        Backend b = backend("{ cookie: SRV }");
        StickyCookie c = cookie(b);
        Server alpha = b.server("alpha").orElseThrow();
        String va = c.insertValue(alpha, c.nowSeconds());
        assertThat(c.resolve(va).server()).isSameAs(alpha);
        byte[] raw = Base64.getUrlDecoder().decode(va);
        // Every one-bit edit of a value already verified (and remembered) is still refused...
        for (int i = 0; i < raw.length * 8; i += 7) {
            byte[] edited = raw.clone();
            edited[i / 8] ^= (byte) (1 << (i % 8));
            assertThat(c.resolve(reencode(edited))).as("bit %d", i).isNull();
        }
        // ...and the value itself still resolves, as often as it comes.
        for (int i = 0; i < 3; i++) {
            assertThat(c.resolve(va).server()).isSameAs(alpha);
        }
    }

    @Test
    void maxAgeEndsAValueCountedFromItsFirstSettingAndIdleFromItsLast() throws Exception {
        Backend b = backend("{ cookie: SRV, max_age: 1h, idle: 10m }");
        StickyCookie c = cookie(b);
        Server alpha = b.server("alpha").orElseThrow();
        long first = c.nowSeconds();
        String v = c.insertValue(alpha, first);
        clock.advance(Duration.ofMinutes(2));
        StickyCookie.Hit hit = c.resolve(v);
        assertThat(hit.server()).isSameAs(alpha);
        assertThat(c.wantsRefresh(hit)).as("2m of a 10m idle: no refresh yet").isFalse();
        clock.advance(Duration.ofMinutes(1));
        assertThat(c.wantsRefresh(c.resolve(v))).as("past a quarter of idle").isTrue();
        clock.advance(Duration.ofMinutes(7));
        assertThat(c.resolve(v)).as("10m without a refresh: idle").isNull();

        // Refreshed every 9 minutes it lives on, but only to max_age after it was first set.
        String refreshed = c.insertValue(alpha, first);
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(9));
            StickyCookie.Hit h = c.resolve(refreshed);
            assertThat(h).as("refresh %d", i).isNotNull();
            assertThat(h.firstSeen()).isEqualTo(first);
            refreshed = c.insertValue(alpha, h.firstSeen());
        }
        clock.advance(Duration.ofMinutes(9)); // 10 + 54 = 64 minutes after the first setting
        assertThat(c.resolve(refreshed)).as("past max_age").isNull();
        assertThat(c.setCookie("x")).isEqualTo("SRV=x; Path=/; Max-Age=3600; HttpOnly");
    }

    @Test
    void aSecretFileMakesTheSameValuesInBackendsBuiltApartAndAttributesAreWritten(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path secret = dir.resolve("sticky.key");
        java.nio.file.Files.writeString(secret, "0123456789abcdef0123456789abcdef\n");
        String sticky = "{ cookie: SRV, secret_file: " + secret + ", secure: true, httponly: false, samesite: none, "
                + "path: /app, domain: example.com }";
        Backend one = backend(sticky);
        Backend two = backend(sticky);
        String v = cookie(one).insertValue(one.server("beta").orElseThrow(), cookie(one).nowSeconds());
        assertThat(cookie(two).resolve(v).server()).isSameAs(two.server("beta").orElseThrow());
        assertThat(cookie(one).setCookie("x")).isEqualTo("SRV=x; Path=/app; Domain=example.com; Secure; SameSite=None");
    }

    @Test
    void idValuesOfPrefixModeAreFixedPerServerAndTimedValuesAreNotTakenForThem() throws Exception {
        Backend b = backend("{ cookie: JSESSIONID, mode: prefix }");
        StickyCookie c = cookie(b);
        Server alpha = b.server("alpha").orElseThrow();
        String id = c.idValue(alpha);
        assertThat(id).hasSize(27).isEqualTo(c.idValue(alpha));
        assertThat(c.resolve(id).server()).isSameAs(alpha);
        assertThat(c.resolve(c.insertValue(alpha, c.nowSeconds()))).isNull();
        assertThat(StickyCookie.looksLikeValue(id)).isTrue();
        assertThat(StickyCookie.looksLikeValue("abc")).isFalse();
    }

    @Test
    void aReloadKeepsTheKeyAndARemovedServerIsNoLongerNamed() throws Exception {
        Backend b = backend("{ cookie: SRV }");
        Server beta = b.server("beta").orElseThrow();
        String v = cookie(b).insertValue(beta, cookie(b).nowSeconds());
        b.reconfigure(config("{ cookie: SRV, idle: 1h }").backends().getFirst());
        assertThat(cookie(b).resolve(v).server()).isSameAs(beta);
        b.removeServer("beta");
        assertThat(cookie(b).resolve(v)).isNull();
    }
}
