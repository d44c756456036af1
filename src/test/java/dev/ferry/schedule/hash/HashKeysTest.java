package dev.ferry.schedule.hash;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HashKeysTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("10.1.2.3", 40000);
    private static final InetSocketAddress SAME_IP_OTHER_PORT = new InetSocketAddress("10.1.2.3", 40001);

    @Test
    void parsesEveryAllowedSetting() {
        assertThat(HashKeys.parse("source_ip")).isInstanceOf(SourceIpKey.class);
        assertThat(HashKeys.parse("source_ip_port")).isInstanceOf(SourceIpPortKey.class);
        assertThat(HashKeys.parse("uri")).isInstanceOf(UriKey.class);
        assertThat(HashKeys.parse("header:X-User")).isEqualTo(new HeaderKey("X-User"));
        assertThat(HashKeys.parse("cookie:session")).isEqualTo(new CookieKey("session"));
        assertThat(HashKeys.parse("header:X-User").spec()).isEqualTo("header:X-User");
        assertThat(HashKeys.parse("uri").needsHttp()).isTrue();
        assertThat(HashKeys.parse("source_ip").needsHttp()).isFalse();
    }

    @Test
    void rejectsBadSettingsWithMessagesThatSayWhatIsAllowed() {
        assertThatThrownBy(() -> HashKeys.parse("src_ip")).hasMessage(
                "unknown hash_key 'src_ip'; allowed: source_ip, source_ip_port, uri, header:NAME, cookie:NAME");
        assertThatThrownBy(() -> HashKeys.parse("param:x")).hasMessageStartingWith("unknown hash_key 'param:x'");
        assertThatThrownBy(() -> HashKeys.parse("header:"))
                .hasMessage("hash_key 'header:' needs a header name after the colon, e.g. header:X-User");
        assertThatThrownBy(() -> HashKeys.parse("cookie:a b"))
                .hasMessageContaining("' ' cannot appear in a cookie name");
        assertThat(HashKeys.problem("header:X")).isEmpty();
        assertThat(HashKeys.problem("nope")).get().asString().startsWith("unknown hash_key");
    }

    @Test
    void sourceIpIgnoresThePortAndSourceIpPortDoesNot() {
        HashKeyExtractor ip = new SourceIpKey();
        HashKeyExtractor ipPort = new SourceIpPortKey();
        assertThat(ip.keyOf(CLIENT, null)).isEqualTo(ip.keyOf(SAME_IP_OTHER_PORT, null));
        assertThat(ipPort.keyOf(CLIENT, null)).isNotEqualTo(ipPort.keyOf(SAME_IP_OTHER_PORT, null));
        assertThat(ip.keyOf(CLIENT, null)).isNotEqualTo(ip.keyOf(new InetSocketAddress("10.1.2.4", 40000), null));
        assertThat(ip.keyOf(null, null)).isZero();
    }

    @Test
    void uriHashesThePathWithoutTheQuery() {
        HashKeyExtractor uri = new UriKey();
        long plain = uri.keyOf(CLIENT, HttpRequestView.of("/img/a.png", Map.of()));
        assertThat(uri.keyOf(SAME_IP_OTHER_PORT, HttpRequestView.of("/img/a.png?v=2", Map.of()))).isEqualTo(plain);
        assertThat(uri.keyOf(CLIENT, HttpRequestView.of("/img/b.png", Map.of()))).isNotEqualTo(plain);
        assertThat(uri.keyOf(CLIENT, null)).isEqualTo(new SourceIpKey().keyOf(CLIENT, null));
    }

    @Test
    void headerMatchesTheNameCaseInsensitivelyAndFallsBackToTheSourceAddress() {
        HashKeyExtractor header = HashKeys.parse("header:X-User");
        long alice = header.keyOf(CLIENT, HttpRequestView.of("/", Map.of("x-user", "alice")));
        assertThat(header.keyOf(new InetSocketAddress("10.9.9.9", 1), HttpRequestView.of("/", Map.of("X-USER", "alice"))))
                .isEqualTo(alice);
        assertThat(header.keyOf(CLIENT, HttpRequestView.of("/", Map.of("X-User", "bob")))).isNotEqualTo(alice);
        long fallback = new SourceIpKey().keyOf(CLIENT, null);
        assertThat(header.keyOf(CLIENT, HttpRequestView.of("/", Map.of()))).isEqualTo(fallback);
        assertThat(header.keyOf(CLIENT, HttpRequestView.of("/", Map.of("X-User", "")))).isEqualTo(fallback);
    }

    @Test
    void cookieFindsItsValueAmongOthers() {
        CookieKey cookie = new CookieKey("session");
        assertThat(cookie.valueIn("a=1; session=xyz; b=2")).isEqualTo("xyz");
        assertThat(cookie.valueIn("session=xyz")).isEqualTo("xyz");
        assertThat(cookie.valueIn("mysession=1; session2=2")).isNull();
        assertThat(cookie.valueIn("flag; session=\"q\"")).isEqualTo("\"q\"");
        assertThat(cookie.valueIn(null)).isNull();
        long a = cookie.keyOf(CLIENT, HttpRequestView.of("/", Map.of("Cookie", "x=1; session=abc")));
        long b = cookie.keyOf(SAME_IP_OTHER_PORT, HttpRequestView.of("/x", Map.of("cookie", "session=abc")));
        assertThat(a).isEqualTo(b);
        assertThat(cookie.keyOf(CLIENT, HttpRequestView.of("/", Map.of("Cookie", "x=1"))))
                .isEqualTo(new SourceIpKey().keyOf(CLIENT, null));
    }

    @Test
    void ipvsValueIsHostOrderIpv4AndXorOfIpv6Words() {
        assertThat(AddressKeys.ipvsValue(new InetSocketAddress("10.0.0.1", 0))).isEqualTo(0x0A000001);
        assertThat(AddressKeys.ipvsValue(new InetSocketAddress("255.0.0.1", 0))).isEqualTo(0xFF000001);
        assertThat(AddressKeys.ipvsValue(new InetSocketAddress("1:2:3:4:5:6:7:8", 0)))
                .isEqualTo(0x00010002 ^ 0x00030004 ^ 0x00050006 ^ 0x00070008);
        assertThat(AddressKeys.locality(new InetSocketAddress("10.0.0.1", 80))).isEqualTo(0x0A000001L);
        assertThat(AddressKeys.locality(InetSocketAddress.createUnresolved("Cache.Example", 80)))
                .isEqualTo(AddressKeys.locality(InetSocketAddress.createUnresolved("cache.example", 443)));
    }

    /** Sequential client addresses (the worst case for a weak hash) spread evenly over 64 buckets. */
    @Test
    void keysOfSequentialAddressesSpreadEvenly() throws Exception {
        int buckets = 64;
        int keys = 64_000;
        int[] counts = new int[buckets];
        HashKeyExtractor ip = new SourceIpKey();
        for (int i = 0; i < keys; i++) {
            byte[] b = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            InetSocketAddress a = new InetSocketAddress(java.net.InetAddress.getByAddress(b), 1);
            counts[(int) Math.floorMod(ip.keyOf(a, null), (long) buckets)]++;
        }
        // Expected 1000 per bucket, sd about 31.4: 5 sd is a bound a good hash never reaches by chance.
        assertThat(java.util.Arrays.stream(counts).min().getAsInt()).isGreaterThanOrEqualTo(843);
        assertThat(java.util.Arrays.stream(counts).max().getAsInt()).isLessThanOrEqualTo(1157);
    }

    /** Flipping one input bit flips about half of the output bits (avalanche). */
    @Test
    void mixAvalanches() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        long flipped = 0;
        int trials = 10_000;
        for (int t = 0; t < trials; t++) {
            long x = random.nextLong();
            int bit = random.nextInt(64);
            flipped += Long.bitCount(Hash64.mix(x) ^ Hash64.mix(x ^ (1L << bit)));
        }
        double mean = (double) flipped / trials;
        // Binomial(64, 1/2) mean 32, sd of the mean 4/sqrt(10000) = 0.04: 0.5 is over 10 sd.
        assertThat(mean).isBetween(31.5, 32.5);
    }
}
